package io.lineside.scoring;

import java.nio.FloatBuffer;

/**
 * The contract's score functions over input {@code x} and reconstruction {@code y}
 * (training/CONTRACT.md), read straight from the model's buffers, accumulated in float64.
 */
final class Scores {
    private Scores() {
    }

    /** Population standard deviation of r = y - x. Two passes, for accuracy on tiny residuals. */
    static double std(FloatBuffer x, FloatBuffer y, int n) {
        double sum = 0.0;
        for (int i = 0; i < n; i++) {
            sum += (double) y.get(i) - x.get(i);
        }
        double mean = sum / n;
        double squares = 0.0;
        for (int i = 0; i < n; i++) {
            double d = (double) y.get(i) - x.get(i) - mean;
            squares += d * d;
        }
        return Math.sqrt(squares / n);
    }

    static double mse(FloatBuffer x, FloatBuffer y, int n) {
        double squares = 0.0;
        for (int i = 0; i < n; i++) {
            double d = (double) y.get(i) - x.get(i);
            squares += d * d;
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
     * replication. Writes g into {@code g}; {@code mean} and {@code rowsBlurred} are scratch (H*W each).
     */
    static void residualMap(FloatBuffer x, FloatBuffer y, ModelGeometry geometry, double[] kernel,
                            double[] mean, double[] rowsBlurred, double[] g) {
        int channels = geometry.channels();
        int height = geometry.height();
        int width = geometry.width();
        int plane = height * width;
        for (int p = 0; p < plane; p++) {
            double sum = 0.0;
            for (int c = 0; c < channels; c++) {
                int i = c * plane + p;
                sum += Math.abs((double) y.get(i) - x.get(i));
            }
            mean[p] = sum / channels;
        }
        int radius = kernel.length / 2;
        for (int h = 0; h < height; h++) {
            int row = h * width;
            for (int w = 0; w < width; w++) {
                double sum = 0.0;
                for (int t = -radius; t <= radius; t++) {
                    int at = Math.min(width - 1, Math.max(0, w + t));
                    sum += kernel[t + radius] * mean[row + at];
                }
                rowsBlurred[row + w] = sum;
            }
        }
        for (int h = 0; h < height; h++) {
            for (int w = 0; w < width; w++) {
                double sum = 0.0;
                for (int t = -radius; t <= radius; t++) {
                    int at = Math.min(height - 1, Math.max(0, h + t));
                    sum += kernel[t + radius] * rowsBlurred[at * width + w];
                }
                g[h * width + w] = sum;
            }
        }
    }

    static double max(double[] values, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, values[i]);
        }
        return max;
    }
}
