package io.lineside.api;

import io.lineside.model.OnnxModelBuilder;
import io.quarkus.test.junit.QuarkusTestProfile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

/**
 * A fresh journal and image store per run, a small image budget so eviction is reachable, no
 * folder source (the history tests see only what they post), and a model that knows exactly one
 * good part: a plain surface of gray {@link Samples#SURFACE} (its reconstruction is that surface
 * whatever the input, so the residual is the departure from the good part, in closed form).
 */
public class HistoryTestProfile implements QuarkusTestProfile {
    static final int KEPT_IMAGES = 8;
    static final double THRESHOLD = 0.05;

    @Override
    public Map<String, String> getConfigOverrides() {
        Path root = Path.of("target", "test-data", "history-" + UUID.randomUUID());
        Path model = root.resolve("surface-model.onnx");
        try {
            Files.createDirectories(root);
            Files.write(model, OnnxModelBuilder.valid(1, 64, 64)
                    .affine(0f, (float) Samples.SURFACE)
                    .with("lineside.score", "max-blur")
                    .with("lineside.threshold", String.valueOf(THRESHOLD))
                    .with("lineside.model.name", "surface")
                    .build());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of(
                "lineside.model.path", model.toString(),
                "lineside.journal.path", root.resolve("journal").toString(),
                "lineside.retention.path", root.resolve("images").toString(),
                "lineside.retention.images", String.valueOf(KEPT_IMAGES),
                "lineside.folder.enabled", "false",
                "lineside.folder.path", root.resolve("inbox").toString(),
                "lineside.folder.archive", root.resolve("archive").toString());
    }
}
