package io.lineside.history;

import java.awt.image.BufferedImage;

/**
 * Reads a rendered heatmap back into heat values: for each sampled pixel, the colour-map position
 * t in [0, 1] whose blend over the original pixel best explains the heatmap pixel. Lets tests
 * check where the heatmap is hot without trusting the renderer's own numbers.
 */
public final class HeatReader {
    private HeatReader() {
    }

    /** Heat on a grid of every {@code step}-th pixel; [row][col]. */
    public static double[][] heat(BufferedImage original, BufferedImage heatmap, int step) {
        int rows = heatmap.getHeight() / step;
        int cols = heatmap.getWidth() / step;
        double[][] out = new double[rows][cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int x = c * step;
                int y = r * step;
                out[r][c] = bestT(original.getRGB(x, y), heatmap.getRGB(x, y));
            }
        }
        return out;
    }

    private static double bestT(int under, int seen) {
        double best = Double.MAX_VALUE;
        int bestI = 0;
        for (int i = 0; i < 256; i++) {
            double t = i / 255.0;
            double a = HeatmapRenderer.MIN_ALPHA + (HeatmapRenderer.MAX_ALPHA - HeatmapRenderer.MIN_ALPHA) * t;
            int lut = Inferno.LUT[i];
            double d = 0;
            for (int shift = 16; shift >= 0; shift -= 8) {
                double expected = ((under >> shift) & 0xFF) * (1 - a) + ((lut >> shift) & 0xFF) * a;
                double diff = expected - ((seen >> shift) & 0xFF);
                d += diff * diff;
            }
            if (d < best) {
                best = d;
                bestI = i;
            }
        }
        return bestI / 255.0;
    }

    /** Centre (x, y) in image pixels of the hottest {@code block}x{@code block} cell window of a heat grid. */
    public static int[] hottest(double[][] heat, int step, int block, int ignoreBottomPixels) {
        int rows = heat.length - (ignoreBottomPixels + step - 1) / step;
        int cols = heat[0].length;
        double best = -1;
        int[] at = {0, 0};
        for (int r = 0; r + block <= rows; r++) {
            for (int c = 0; c + block <= cols; c++) {
                double sum = 0;
                for (int i = 0; i < block; i++) {
                    for (int j = 0; j < block; j++) {
                        sum += heat[r + i][c + j];
                    }
                }
                if (sum > best) {
                    best = sum;
                    at = new int[]{(c + block / 2) * step, (r + block / 2) * step};
                }
            }
        }
        return at;
    }
}
