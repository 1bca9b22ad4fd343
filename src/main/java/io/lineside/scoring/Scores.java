package io.lineside.scoring;

import java.nio.FloatBuffer;

/**
 * The contract's score functions over input {@code x} and reconstruction {@code y}
 * (training/CONTRACT.md), accumulated in float64.
 * <p>
 * Speed (bench/README.md): the buffers are read one plane at a time by bulk copies into the caller's
 * float scratch arrays, and the blur runs tap by tap over whole rows ({@code out[w] += k[t] * in[w + t]}),
 * which the JIT vectorises; only the border columns, where the kernel leaves the row, clamp indices.
 * Every output is still summed over t = -R..R in that order, so results equal the plain formula's.
 */
final class Scores {
    private Scores() {
    }

    /** Population standard deviation of r = y - x. Two passes, for accuracy on tiny residuals. */
    static double std(FloatBuffer x, FloatBuffer y, int n, float[] xs, float[] ys) {
        double sum = 0.0;
        for (int from = 0; from < n; from += xs.length) {
            int len = Math.min(xs.length, n - from);
            x.get(from, xs, 0, len);
            y.get(from, ys, 0, len);
            for (int i = 0; i < len; i++) {
                sum += (double) ys[i] - xs[i];
            }
        }
        double mean = sum / n;
        double squares = 0.0;
        for (int from = 0; from < n; from += xs.length) {
            int len = Math.min(xs.length, n - from);
            x.get(from, xs, 0, len);
            y.get(from, ys, 0, len);
            for (int i = 0; i < len; i++) {
                double d = (double) ys[i] - xs[i] - mean;
                squares += d * d;
            }
        }
        return Math.sqrt(squares / n);
    }

    static double mse(FloatBuffer x, FloatBuffer y, int n, float[] xs, float[] ys) {
        double squares = 0.0;
        for (int from = 0; from < n; from += xs.length) {
            int len = Math.min(xs.length, n - from);
            x.get(from, xs, 0, len);
            y.get(from, ys, 0, len);
            for (int i = 0; i < len; i++) {
                double d = (double) ys[i] - xs[i];
                squares += d * d;
            }
        }
        return squares / n;
    }

    /** Normalised Gaussian kernel {@code k[t], t = -R..R, R = ceil(3 sigma)}. */
    static double[] gaussianKernel(double sigma) {
        if (!(sigma > 0) || Double.isInfinite(sigma)) {
            throw new IllegalArgumentException("sigma must be a positive number, not " + sigma);
        }
        int radius = (int) Math.ceil(3 * sigma);
        double[] kernel = new double[2 * radius + 1];
        double sum = 0.0;
        for (int t = -radius; t <= radius; t++) {
            double v = Math.exp(-(double) t * t / (2 * sigma * sigma));
            kernel[t + radius] = v;
            sum += v;
        }
        for (int i = 0; i < kernel.length; i++) {
            kernel[i] /= sum;
        }
        return kernel;
    }

    /**
     * The residual map g: channel mean of |y - x|, blurred along rows then columns with edge
     * replication. Writes g into {@code g}; {@code mean} and {@code rowsBlurred} are scratch (H*W each),
     * {@code xs} and {@code ys} too (H*W floats each).
     */
    static void residualMap(FloatBuffer x, FloatBuffer y, ModelGeometry geometry, double[] kernel,
                            float[] xs, float[] ys, double[] mean, double[] rowsBlurred, double[] g) {
        int channels = geometry.channels();
        int height = geometry.height();
        int width = geometry.width();
        int plane = height * width;
        for (int c = 0; c < channels; c++) {
            x.get(c * plane, xs, 0, plane);
            y.get(c * plane, ys, 0, plane);
            if (c == 0) {
                for (int p = 0; p < plane; p++) {
                    mean[p] = Math.abs((double) ys[p] - xs[p]);
                }
            } else {
                for (int p = 0; p < plane; p++) {
                    mean[p] += Math.abs((double) ys[p] - xs[p]);
                }
            }
        }
        if (channels > 1) {
            for (int p = 0; p < plane; p++) {
                mean[p] /= channels;
            }
        }
        int radius = kernel.length / 2;
        // Along rows: interior columns [lo, hi) see the whole kernel inside the row.
        int lo = Math.min(radius, width);
        int hi = Math.max(lo, width - radius);
        for (int h = 0; h < height; h++) {
            int row = h * width;
            java.util.Arrays.fill(rowsBlurred, row + lo, row + hi, 0.0);
            for (int t = -radius; t <= radius; t++) {
                double k = kernel[t + radius];
                int from = row + t;
                for (int w = lo; w < hi; w++) {
                    rowsBlurred[row + w] += k * mean[from + w];
                }
            }
            for (int w = 0; w < lo; w++) {
                rowsBlurred[row + w] = clampedRowSum(mean, row, width, w, kernel, radius);
            }
            for (int w = hi; w < width; w++) {
                rowsBlurred[row + w] = clampedRowSum(mean, row, width, w, kernel, radius);
            }
        }
        // Along columns: whole rows at a time; only the source row index is clamped.
        for (int h = 0; h < height; h++) {
            int out = h * width;
            java.util.Arrays.fill(g, out, out + width, 0.0);
            for (int t = -radius; t <= radius; t++) {
                double k = kernel[t + radius];
                int from = Math.min(height - 1, Math.max(0, h + t)) * width;
                for (int w = 0; w < width; w++) {
                    g[out + w] += k * rowsBlurred[from + w];
                }
            }
        }
    }

    private static double clampedRowSum(double[] m, int row, int width, int w, double[] kernel, int radius) {
        double sum = 0.0;
        for (int t = -radius; t <= radius; t++) {
            int at = Math.min(width - 1, Math.max(0, w + t));
            sum += kernel[t + radius] * m[row + at];
        }
        return sum;
    }

    static double max(double[] values, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, values[i]);
        }
        return max;
    }
}
