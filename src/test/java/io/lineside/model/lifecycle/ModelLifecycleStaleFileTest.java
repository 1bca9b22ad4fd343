package io.lineside.model.lifecycle;

import io.lineside.model.ActiveModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The watcher reads the model file without the lifecycle's lock. If an upload or rollback writes a newer
 * model there between that read and the load, the older bytes must not go back into service (they did,
 * briefly, until the next poll: CalibrationApiTest then saw the model's own threshold instead of the
 * calibrated one). No model loader is wired here: any attempt to load would fail the test.
 */
class ModelLifecycleStaleFileTest {

    @TempDir
    Path dir;

    @Test
    void bytesNoLongerInTheFileAreSetAsideWithoutLoading() throws IOException {
        Path file = dir.resolve("model.onnx");
        Files.writeString(file, "model written by the upload");
        ModelLifecycle lifecycle = new ModelLifecycle();
        lifecycle.activeModel = new ActiveModel();

        ReloadReport report = lifecycle.replaceFromFile("model the watcher read before".getBytes(StandardCharsets.UTF_8), file);

        assertEquals("superseded", report.outcome());
        assertEquals("file", report.trigger());
        assertTrue(lifecycle.activeModel.current().isEmpty(), "nothing was switched in");
        assertTrue(lifecycle.lastReload().isEmpty(), "not an attempt to change the model: nothing recorded");
    }

    @Test
    void vanishedFileIsNotLoadedFromStaleBytes() {
        ModelLifecycle lifecycle = new ModelLifecycle();
        lifecycle.activeModel = new ActiveModel();

        ReloadReport report = lifecycle.replaceFromFile(new byte[] {1, 2, 3}, dir.resolve("gone.onnx"));

        assertEquals("superseded", report.outcome());
        assertTrue(lifecycle.activeModel.current().isEmpty());
    }
}
