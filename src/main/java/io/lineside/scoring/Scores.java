package io.lineside.scoring;

import java.nio.FloatBuffer;

/**
 * The contract's score functions over input {@code x} and reconstruction {@code y}
 * (training/CONTRACT.md).
 * <p>
 * Speed (bench/README.md): the buffers are read one plane at a time by bulk copies into the caller's
 * float scratch arrays, and the blur runs tap by tap over whole rows ({@code out[w] += k[t] * (in[w - t]
 * + in[w + t])}), which the JIT vectorises; std and mse accumulate in float64, the blur in float32.
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
     * replication, in float32 (the map's values are at most 1, so a 2R+1-term float sum is within
     * about 1e-7 of the float64 formula; the golden vectors allow 1e-4). Writes g into {@code g};
     * {@code mean} (H*W), {@code padded} (W + 2R) and {@code rows} (H*W) are scratch, {@code xs} and
     * {@code ys} too (H*W each). The kernel is symmetric, so taps t and -t share one multiply.
     */
    static void residualMap(FloatBuffer x, FloatBuffer y, ModelGeometry geometry, float[] kernel,
                            float[] xs, float[] ys, float[] mean, float[] padded, float[] rows, float[] g) {
        int channels = geometry.channels();
        int height = geometry.height();
        int width = geometry.width();
        int plane = height * width;
        for (int c = 0; c < channels; c++) {
            x.get(c * plane, xs, 0, plane);
            y.get(c * plane, ys, 0, plane);
            if (c == 0) {
                for (int p = 0; p < plane; p++) {
                    mean[p] = Math.abs(ys[p] - xs[p]);
                }
            } else {
                for (int p = 0; p < plane; p++) {
                    mean[p] += Math.abs(ys[p] - xs[p]);
                }
            }
        }
        if (channels > 1) {
            float third = 1f / channels;
            for (int p = 0; p < plane; p++) {
                mean[p] *= third;
            }
        }
        int radius = kernel.length / 2;
        float centre = kernel[radius];
        // Along rows: each row copied once into a padded row whose margins repeat the edge values.
        for (int h = 0; h < height; h++) {
            int row = h * width;
            System.arraycopy(mean, row, padded, radius, width);
            java.util.Arrays.fill(padded, 0, radius, mean[row]);
            java.util.Arrays.fill(padded, radius + width, width + 2 * radius, mean[row + width - 1]);
            for (int w = 0; w < width; w++) {
                rows[row + w] = centre * padded[radius + w];
            }
            for (int t = 1; t <= radius; t++) {
                float k = kernel[radius + t];
                int left = radius - t;
                int right = radius + t;
                for (int w = 0; w < width; w++) {
                    rows[row + w] += k * (padded[left + w] + padded[right + w]);
                }
            }
        }
        // Along columns: whole rows at a time; only the source row index is clamped.
        for (int h = 0; h < height; h++) {
            int out = h * width;
            for (int w = 0; w < width; w++) {
                g[out + w] = centre * rows[out + w];
            }
            for (int t = 1; t <= radius; t++) {
                float k = kernel[radius + t];
                int up = Math.max(0, h - t) * width;
                int down = Math.min(height - 1, h + t) * width;
                for (int w = 0; w < width; w++) {
                    g[out + w] += k * (rows[up + w] + rows[down + w]);
                }
            }
        }
    }

    /** The kernel as float32, for {@link #residualMap}. */
    static float[] toFloats(double[] kernel) {
        float[] f = new float[kernel.length];
        for (int i = 0; i < kernel.length; i++) {
            f[i] = (float) kernel[i];
        }
        return f;
    }

    static double max(float[] values, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, values[i]);
        }
        return max;
    }

    /**
     * Gaussian blur of one H*W plane along rows then along columns, edge replication (the index is
     * clamped), in float64: {@code src} -> {@code dst}, {@code rows} is scratch (H*W). For the ssim
     * map, whose variances are differences of nearly equal sums and need float64.
     */
    static void blur(double[] src, ModelGeometry geometry, double[] kernel, double[] rows, double[] dst) {
        int height = geometry.height();
        int width = geometry.width();
        int radius = kernel.length / 2;
        double centre = kernel[radius];
        // Along rows: interior columns [lo, hi) see the whole kernel inside the row; the kernel is
        // symmetric, so taps t and -t share one multiply.
        int lo = Math.min(radius, width);
        int hi = Math.max(lo, width - radius);
        for (int h = 0; h < height; h++) {
            int row = h * width;
            for (int w = lo; w < hi; w++) {
                rows[row + w] = centre * src[row + w];
            }
            for (int t = 1; t <= radius; t++) {
                double k = kernel[radius + t];
                int left = row - t;
                int right = row + t;
                for (int w = lo; w < hi; w++) {
                    rows[row + w] += k * (src[left + w] + src[right + w]);
                }
            }
            for (int w = 0; w < lo; w++) {
                rows[row + w] = clampedRowSum(src, row, width, w, kernel, radius);
            }
            for (int w = hi; w < width; w++) {
                rows[row + w] = clampedRowSum(src, row, width, w, kernel, radius);
            }
        }
        // Along columns: whole rows at a time; only the source row index is clamped.
        for (int h = 0; h < height; h++) {
            int out = h * width;
            for (int w = 0; w < width; w++) {
                dst[out + w] = centre * rows[out + w];
            }
            for (int t = 1; t <= radius; t++) {
                double k = kernel[radius + t];
                int up = Math.max(0, h - t) * width;
                int down = Math.min(height - 1, h + t) * width;
                for (int w = 0; w < width; w++) {
                    dst[out + w] += k * (rows[up + w] + rows[down + w]);
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

    /** SSIM constants for data in [0, 1]: (0.01 L)^2 and (0.03 L)^2 with L = 1. */
    static final double SSIM_C1 = 0.01 * 0.01;
    static final double SSIM_C2 = 0.03 * 0.03;
    /** The ssim score is this quantile (nearest rank) of the dissimilarity map. */
    static final double SSIM_QUANTILE = 0.999;

    /** Scratch for {@link #ssimMap}: nine H*W planes, allocated once per slot on first use. */
    static final class SsimScratch {
        final double[] x;
        final double[] y;
        final double[] product;
        final double[] rows;
        final double[] meanX;
        final double[] meanY;
        final double[] meanXX;
        final double[] meanYY;
        final double[] meanXY;

        SsimScratch(int plane) {
            x = new double[plane];
            y = new double[plane];
            product = new double[plane];
            rows = new double[plane];
            meanX = new double[plane];
            meanY = new double[plane];
            meanXX = new double[plane];
            meanYY = new double[plane];
            meanXY = new double[plane];
        }
    }

    /**
     * The ssim score's map d: per channel, local means, variances and covariance under the Gaussian
     * window ({@code kernel}, edge replication), SSIM = (2 mx my + C1)(2 cxy + C2) / ((mx^2 + my^2 + C1)(vx + vy + C2)),
     * then d = mean over channels of 1 - SSIM. Writes d into {@code d} (H*W).
     */
    static void ssimMap(FloatBuffer x, FloatBuffer y, ModelGeometry geometry, double[] kernel,
                        float[] xs, float[] ys, SsimScratch s, double[] d) {
        int channels = geometry.channels();
        int plane = geometry.planeSize();
        java.util.Arrays.fill(d, 0, plane, 0.0);
        for (int c = 0; c < channels; c++) {
            x.get(c * plane, xs, 0, plane);
            y.get(c * plane, ys, 0, plane);
            for (int p = 0; p < plane; p++) {
                s.x[p] = xs[p];
                s.y[p] = ys[p];
            }
            blur(s.x, geometry, kernel, s.rows, s.meanX);
            blur(s.y, geometry, kernel, s.rows, s.meanY);
            for (int p = 0; p < plane; p++) {
                s.product[p] = s.x[p] * s.x[p];
            }
            blur(s.product, geometry, kernel, s.rows, s.meanXX);
            for (int p = 0; p < plane; p++) {
                s.product[p] = s.y[p] * s.y[p];
            }
            blur(s.product, geometry, kernel, s.rows, s.meanYY);
            for (int p = 0; p < plane; p++) {
                s.product[p] = s.x[p] * s.y[p];
            }
            blur(s.product, geometry, kernel, s.rows, s.meanXY);
            for (int p = 0; p < plane; p++) {
                double mx = s.meanX[p];
                double my = s.meanY[p];
                double vx = s.meanXX[p] - mx * mx;
                double vy = s.meanYY[p] - my * my;
                double cxy = s.meanXY[p] - mx * my;
                double ssim = ((2 * mx * my + SSIM_C1) * (2 * cxy + SSIM_C2))
                        / ((mx * mx + my * my + SSIM_C1) * (vx + vy + SSIM_C2));
                d[p] += 1 - ssim;
            }
        }
        if (channels > 1) {
            for (int p = 0; p < plane; p++) {
                d[p] /= channels;
            }
        }
    }

    /**
     * The k-th smallest of values[0..n), k = ceil(q n) (1-based, at least 1); reorders {@code scratch} (n).
     * Quickselect, not a sort: the same value in O(n) (a sort of 128x128 doubles cost 1 ms per image).
     */
    static double nearestRankQuantile(double[] values, int n, double q, double[] scratch) {
        System.arraycopy(values, 0, scratch, 0, n);
        int k = Math.min(n, Math.max(1, (int) Math.ceil(q * n))) - 1;
        int lo = 0;
        int hi = n - 1;
        int rounds = 0;
        while (lo < hi) {
            if (++rounds > 64) { // pathological pivots: finish with a sort of what is left
                java.util.Arrays.sort(scratch, lo, hi + 1);
                break;
            }
            // Median of three as pivot, then Hoare partition.
            int mid = (lo + hi) >>> 1;
            double pivot = median(scratch[lo], scratch[mid], scratch[hi]);
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (Double.compare(scratch[i], pivot) < 0) {
                    i++;
                }
                while (Double.compare(scratch[j], pivot) > 0) {
                    j--;
                }
                if (i <= j) {
                    double t = scratch[i];
                    scratch[i] = scratch[j];
                    scratch[j] = t;
                    i++;
                    j--;
                }
            }
            if (k <= j) {
                hi = j;
            } else if (k >= i) {
                lo = i;
            } else {
                return scratch[k]; // between the two parts: equal to the pivot
            }
        }
        return scratch[k];
    }

    private static double median(double a, double b, double c) {
        return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    }
}
