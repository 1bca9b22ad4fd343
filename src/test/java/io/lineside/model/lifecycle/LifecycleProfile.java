package io.lineside.model.lifecycle;

import io.lineside.model.OnnxModelBuilder;
import io.quarkus.test.junit.QuarkusTestProfile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * The appliance as a plant runs it for model changes: the model is a file (lineside.model.path) that
 * is watched, an API key is configured, and calibration has its own root, all in a fresh temporary
 * folder. Every start begins on model A.
 */
public class LifecycleProfile implements QuarkusTestProfile {

    public static final String KEY = "lifecycle-test-key-5d1e0b7f2a9c4e63";
    public static final Path DIR = tempDir();
    public static final Path MODEL_FILE = DIR.resolve("models/model.onnx");
    public static final Path CALIBRATION_ROOT = DIR.resolve("calibration");
    public static final Path STATE_FILE = DIR.resolve("state/threshold.json");

    /** Three valid models of the same geometry, told apart by their version (and so their sha256). */
    public static final byte[] MODEL_A = model("A");
    public static final byte[] MODEL_B = model("B");
    public static final byte[] MODEL_C = model("C");

    public static byte[] model(String version) {
        return OnnxModelBuilder.valid(1, 32, 32)
                .with("lineside.model.name", "line3-housing")
                .with("lineside.model.version", version)
                .build();
    }

    @Override
    public Map<String, String> getConfigOverrides() {
        try {
            Files.createDirectories(CALIBRATION_ROOT);
            Files.deleteIfExists(STATE_FILE);
            replaceByRename(MODEL_FILE, MODEL_A);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.ofEntries(
                Map.entry("lineside.model.path", MODEL_FILE.toString()),
                Map.entry("lineside.model.watch-interval", "100ms"),
                Map.entry("lineside.model.max-upload", "256K"),
                Map.entry("lineside.api.keys", KEY),
                Map.entry("lineside.calibration.root", CALIBRATION_ROOT.toString()),
                Map.entry("lineside.calibration.state-file", STATE_FILE.toString()),
                Map.entry("lineside.calibration.max-upload", "96K"),
                Map.entry("lineside.calibration.max-images", "60"),
                Map.entry("lineside.limits.max-bytes", "64K"),
                Map.entry("lineside.journal.path", DIR.resolve("journal").toString()),
                Map.entry("lineside.folder.enabled", "false"),
                Map.entry("lineside.folder.path", DIR.resolve("inbox").toString()),
                Map.entry("lineside.folder.archive", DIR.resolve("archive").toString()),
                Map.entry("lineside.retention.path", DIR.resolve("images").toString()));
    }

    /** How a careful operator replaces the model: write beside it, then rename over it. */
    public static void replaceByRename(Path target, byte[] bytes) throws IOException {
        Files.createDirectories(target.getParent());
        Path staged = Files.createTempFile(target.getParent(), ".staged-", ".onnx");
        Files.write(staged, bytes);
        Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("lineside-lifecycle-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
