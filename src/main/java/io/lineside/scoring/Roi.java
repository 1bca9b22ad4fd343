package io.lineside.scoring;

import java.awt.image.BufferedImage;
import java.util.Locale;

/**
 * A region of interest in source-image pixels: the image is cropped to it before the resize
 * (model metadata {@code lineside.input.roi}, overridden by the appliance's {@code lineside.roi}).
 * Written and read as {@code x,y,w,h}.
 */
public record Roi(int x, int y, int width, int height) {
    public Roi {
        if (x < 0 || y < 0 || width < 1 || height < 1) {
            throw new IllegalArgumentException("a region needs x, y >= 0 and width, height >= 1: " + x + "," + y
                    + "," + width + "," + height);
        }
    }

    /**
     * Parses {@code x,y,w,h}: four non-negative decimal integers, w and h at least 1 (spaces around the
     * commas allowed).
     *
     * @throws IllegalArgumentException naming what is wrong with the text
     */
    public static Roi parse(String text) {
        String[] parts = text == null ? new String[0] : text.split(",", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("'" + text + "' is not x,y,w,h (four integers separated by commas)");
        }
        int[] values = new int[4];
        String[] names = {"x", "y", "w", "h"};
        for (int i = 0; i < 4; i++) {
            String part = parts[i].strip();
            if (!part.matches("[0-9]{1,9}")) {
                throw new IllegalArgumentException("'" + text + "' is not x,y,w,h: " + names[i] + " = '" + part
                        + "' is not a non-negative integer");
            }
            values[i] = Integer.parseInt(part);
        }
        if (values[2] < 1 || values[3] < 1) {
            throw new IllegalArgumentException("'" + text + "' is not x,y,w,h: w and h must be at least 1");
        }
        return new Roi(values[0], values[1], values[2], values[3]);
    }

    /** Whether an image of this size contains the whole region. */
    public boolean fitsIn(int imageWidth, int imageHeight) {
        return (long) x + width <= imageWidth && (long) y + height <= imageHeight;
    }

    /** The region of the image, sharing its pixels (no copy). */
    public BufferedImage crop(BufferedImage image) {
        return image.getSubimage(x, y, width, height);
    }

    /** The {@code x,y,w,h} text form. */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%d,%d,%d,%d", x, y, width, height);
    }
}
