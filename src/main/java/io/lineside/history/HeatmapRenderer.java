package io.lineside.history;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;

/**
 * Draws the residual (format 1) or anomaly (format 2) map over the inspected image: bilinear upsampling
 * to the image's size (or to the region of interest's, when the map covers one), the
 * inferno colour map blended with an alpha that grows with the residual (cold areas leave the part
 * visible, hot areas stand out), and a colour bar with its numeric range along the bottom edge.
 * Text is drawn with a built-in pixel font so rendering needs no system fonts (headless, native).
 */
public final class HeatmapRenderer {
    static {
        ImageIO.setUseCache(false);
    }

    static final double MIN_ALPHA = 0.20;
    static final double MAX_ALPHA = 0.75;
    /** How much the part of the image outside the region of interest is darkened. */
    static final double OUTSIDE_DIM = 0.55;

    /** Decodes an image for display as 8-bit RGB; gray samples are read from the raster as they are. */
    public static BufferedImage decodeRgb(byte[] bytes) {
        BufferedImage src;
        try {
            src = ImageIO.read(new ByteArrayInputStream(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException("image cannot be decoded for display: " + e.getMessage(), e);
        }
        if (src == null) {
            throw new IllegalArgumentException("image format not readable for display");
        }
        int w = src.getWidth();
        int h = src.getHeight();
        BufferedImage rgb = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Raster raster = src.getRaster();
        int bands = raster.getNumBands();
        boolean gray = src.getColorModel().getColorSpace().getNumComponents() == 1;
        if (gray) {
            // getRGB() would push linear gray through a colour conversion and brighten it.
            int bits = src.getColorModel().getComponentSize(0);
            int shift = Math.max(0, bits - 8);
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int g = Math.min(255, row[x] >>> shift);
                    rgb.setRGB(x, y, (g << 16) | (g << 8) | g);
                }
            }
        } else {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    rgb.setRGB(x, y, src.getRGB(x, y) & 0xFFFFFF);
                }
            }
        }
        return rgb;
    }

    /** The overlay as a PNG of the image's size. */
    public byte[] renderPng(byte[] imageBytes, ResidualMap map, HeatScale scale) {
        return encodePng(render(decodeRgb(imageBytes), map, scale));
    }

    /**
     * The overlay. A map with a region (region of interest) is stretched over that rectangle only; the
     * rest of the image, which the model never saw, is drawn plain and dimmed.
     */
    public BufferedImage render(BufferedImage image, ResidualMap map, HeatScale scale) {
        int w = image.getWidth();
        int h = image.getHeight();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int[] dst = ((DataBufferInt) out.getRaster().getDataBuffer()).getData();
        int[] row = new int[w];
        int rx0 = 0;
        int ry0 = 0;
        int rx1 = w;
        int ry1 = h;
        if (map.region() != null) {
            rx0 = Math.min(w, map.region().x());
            ry0 = Math.min(h, map.region().y());
            rx1 = (int) Math.min(w, (long) map.region().x() + map.region().width());
            ry1 = (int) Math.min(h, (long) map.region().y() + map.region().height());
        }
        int regionW = map.region() == null ? w : map.region().width();
        int regionH = map.region() == null ? h : map.region().height();
        double sx = (double) map.width() / regionW;
        double sy = (double) map.height() / regionH;
        double inv = 1.0 / scale.max();
        for (int y = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, row, 0, w);
            int base = y * w;
            boolean rowInside = y >= ry0 && y < ry1;
            double my = (y - ry0 + 0.5) * sy;
            for (int x = 0; x < w; x++) {
                if (!rowInside || x < rx0 || x >= rx1) {
                    dst[base + x] = blend(row[x], 0x000000, OUTSIDE_DIM);
                    continue;
                }
                double v = Math.min(1, Math.max(0, map.sample((x - rx0 + 0.5) * sx, my) * inv));
                double a = MIN_ALPHA + (MAX_ALPHA - MIN_ALPHA) * v;
                dst[base + x] = blend(row[x], Inferno.colour(v), a);
            }
        }
        drawScaleBar(out, scale);
        return out;
    }

    /** Height of the scale bar panel along the bottom edge, in pixels, for an image of this size. */
    public static int scaleBarHeight(int width, int height) {
        return Math.max(9, Math.min(40, Math.round(height * 0.09f)));
    }

    private static void drawScaleBar(BufferedImage out, HeatScale scale) {
        int w = out.getWidth();
        int h = out.getHeight();
        int panel = scaleBarHeight(w, h);
        if (h < panel * 3 || w < 32) {
            return; // too small to carry a legible bar; the page shows the numbers anyway
        }
        int top = h - panel;
        for (int y = top; y < h; y++) {
            for (int x = 0; x < w; x++) {
                out.setRGB(x, y, blend(out.getRGB(x, y), 0x000000, 0.65));
            }
        }
        int glyph = Math.max(1, (int) ((panel - 4) / 7.0 * 0.8));
        int textY = top + (panel - 7 * glyph) / 2;
        int pad = Math.max(2, panel / 4);
        String left = "0";
        String right = format(scale.max());
        int leftW = PixelFont.width(left, glyph);
        int rightW = PixelFont.width(right, glyph);
        int barX0 = pad + leftW + pad;
        int barX1 = w - pad - rightW - pad;
        if (barX1 - barX0 < 16) { // no room for labels: bar only
            barX0 = pad;
            barX1 = w - pad;
        } else {
            PixelFont.draw(out, left, pad, textY, glyph, 0xFFFFFF);
            PixelFont.draw(out, right, w - pad - rightW, textY, glyph, 0xFFFFFF);
        }
        int barY0 = top + panel / 4;
        int barY1 = h - panel / 4;
        for (int x = barX0; x < barX1; x++) {
            int c = Inferno.colour((x - barX0) / (double) Math.max(1, barX1 - barX0 - 1));
            for (int y = barY0; y < barY1; y++) {
                out.setRGB(x, y, c);
            }
        }
        if (!Double.isNaN(scale.threshold()) && scale.threshold() <= scale.max()) {
            int tx = barX0 + (int) Math.round(scale.threshold() / scale.max() * (barX1 - barX0 - 1));
            for (int y = top + 1; y < h - 1; y++) {
                out.setRGB(Math.max(barX0, tx - 1), y, 0x000000);
                out.setRGB(tx, y, 0xFFFFFF);
                out.setRGB(Math.min(barX1 - 1, tx + 1), y, 0x000000);
            }
        }
    }

    static String format(double v) {
        if (v == 0) {
            return "0";
        }
        double a = Math.abs(v);
        String s = (a >= 0.001 && a < 10000) ? String.format(Locale.ROOT, "%.3g", v) : String.format(Locale.ROOT, "%.2e", v);
        return s;
    }

    private static int blend(int under, int over, double alpha) {
        int r = (int) Math.round(((under >> 16) & 0xFF) * (1 - alpha) + ((over >> 16) & 0xFF) * alpha);
        int g = (int) Math.round(((under >> 8) & 0xFF) * (1 - alpha) + ((over >> 8) & 0xFF) * alpha);
        int b = (int) Math.round((under & 0xFF) * (1 - alpha) + (over & 0xFF) * alpha);
        return (r << 16) | (g << 8) | b;
    }

    static byte[] encodePng(BufferedImage image) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(image.getWidth() * image.getHeight());
        try {
            if (!ImageIO.write(image, "png", bytes)) {
                throw new IllegalStateException("no PNG writer available");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
