package io.lineside.sinks;

import io.lineside.model.OnnxModelBuilder;
import io.lineside.scoring.TestImages;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * What the sink tests inspect: a model that knows one good part (a plain surface of gray
 * {@link #SURFACE}, reconstructed as that surface whatever the input, scored by max-blur against
 * {@link #THRESHOLD}), so a plain surface is GOOD, a dark square is a DEFECT and junk bytes are REJECTED;
 * a fresh journal per run and no folder source.
 */
public final class SinkScene {
    public static final double SURFACE = 0.6;
    public static final double THRESHOLD = 0.05;

    private SinkScene() {
    }

    /** Config for a fresh data directory under target/test-data with the surface model. */
    public static Map<String, String> config(String name) {
        Path root = Path.of("target", "test-data", name + "-" + UUID.randomUUID()).toAbsolutePath();
        Path model = root.resolve("surface-model.onnx");
        try {
            Files.createDirectories(root);
            Files.write(model, modelBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> c = new HashMap<>();
        c.put("lineside.model.path", model.toString());
        c.put("lineside.journal.path", root.resolve("journal").toString());
        c.put("lineside.retention.path", root.resolve("images").toString());
        c.put("lineside.folder.enabled", "false");
        return c;
    }

    public static byte[] modelBytes() {
        return OnnxModelBuilder.valid(1, 64, 64)
                .affine(0f, (float) SURFACE)
                .with("lineside.score", "max-blur")
                .with("lineside.threshold", String.valueOf(THRESHOLD))
                .with("lineside.model.name", "surface")
                .with("lineside.model.version", "7")
                .build();
    }

    public static byte[] good() {
        return surface(false);
    }

    public static byte[] defect() {
        return surface(true);
    }

    public static byte[] junk() {
        return "not an image at all".getBytes();
    }

    private static byte[] surface(boolean darkSquare) {
        BufferedImage img = new BufferedImage(128, 96, BufferedImage.TYPE_BYTE_GRAY);
        int level = (int) Math.round(SURFACE * 255);
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                boolean dark = darkSquare && x >= 40 && x < 80 && y >= 30 && y < 70;
                img.getRaster().setSample(x, y, 0, dark ? 10 : level);
            }
        }
        return TestImages.encode(img, "png");
    }
}
