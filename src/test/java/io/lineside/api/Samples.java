package io.lineside.api;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Random;

/**
 * Images for the history tests: a synthetic good part (a machined surface of gray {@link #SURFACE}
 * with a fine texture, 320x240 so that width and height differ), and the same with a dark blob,
 * a defect at a known place.
 */
final class Samples {
    /** Gray level of the good surface, in [0, 1]. */
    static final double SURFACE = 0.6;

    private Samples() {
    }

    static byte[] goodSample() {
        BufferedImage img = new BufferedImage(320, 240, BufferedImage.TYPE_BYTE_GRAY);
        Random texture = new Random(42);
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                img.getRaster().setSample(x, y, 0, (int) Math.round(SURFACE * 255) + texture.nextInt(7) - 3);
            }
        }
        return png(img);
    }

    private static byte[] png(BufferedImage img) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(img, "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The good sample with a dark disc of radius r drawn at (cx, cy), as PNG. */
    static byte[] withDarkBlob(byte[] good, int cx, int cy, int r) {
        try {
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(good));
            var raster = img.getRaster();
            for (int y = Math.max(0, cy - r); y < Math.min(img.getHeight(), cy + r + 1); y++) {
                for (int x = Math.max(0, cx - r); x < Math.min(img.getWidth(), cx + r + 1); x++) {
                    if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) {
                        for (int b = 0; b < raster.getNumBands(); b++) {
                            raster.setSample(x, y, b, 8);
                        }
                    }
                }
            }
            return png(img);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static BufferedImage decode(byte[] bytes) {
        try {
            return ImageIO.read(new ByteArrayInputStream(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
