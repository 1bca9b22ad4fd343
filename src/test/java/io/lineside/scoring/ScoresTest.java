package io.lineside.scoring;

import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The fast score loops (plane-wise bulk copies, tap-by-tap row blur, border columns apart) against the
 * contract's formulas written plainly, element by element with a clamped index on every tap: equal to the
 * last bit, on random residuals, for planes wider and narrower than the kernel, gray and colour.
 */
class ScoresTest {

    @Test
    void residualMapEqualsThePlainFloat64FormulaWithinFloatRounding() {
        int[][] geometries = {{1, 37, 53}, {3, 20, 16}, {1, 5, 8}, {1, 1, 1}, {3, 13, 13}, {1, 300, 300}};
        Random random = new Random(42);
        for (double sigma : new double[] {0.7, 2.0, 3.0}) {
            double[] kernel = Scores.gaussianKernel(sigma);
            for (int[] dims : geometries) {
                ModelGeometry geometry = new ModelGeometry(dims[0], dims[1], dims[2]);
                int n = geometry.elements();
                int plane = geometry.planeSize();
                FloatBuffer x = random(random, n);
                FloatBuffer y = random(random, n);
                float[] g = new float[plane];
                Scores.residualMap(x, y, geometry, Scores.toFloats(kernel), new float[plane], new float[plane],
                        new float[plane], new float[dims[2] + kernel.length - 1], new float[plane], g);
                double[] plain = plainResidualMap(x, y, geometry, kernel);
                for (int i = 0; i < plane; i++) {
                    assertEquals(plain[i], g[i], 1e-6, "geometry " + geometry + ", sigma " + sigma + ", pixel " + i);
                }
            }
        }
    }

    @Test
    void stdAndMseEqualThePlainFormulasBitForBit() {
        Random random = new Random(7);
        for (int n : new int[] {1, 17, 3 * 64 * 64}) {
            FloatBuffer x = random(random, n);
            FloatBuffer y = random(random, n);
            double sum = 0;
            double squares = 0;
            for (int i = 0; i < n; i++) {
                sum += (double) y.get(i) - x.get(i);
                double d = (double) y.get(i) - x.get(i);
                squares += d * d;
            }
            double mean = sum / n;
            double centred = 0;
            for (int i = 0; i < n; i++) {
                double d = (double) y.get(i) - x.get(i) - mean;
                centred += d * d;
            }
            // Scratch shorter than the tensor: the loops must walk it in chunks.
            float[] xs = new float[Math.max(1, n / 3)];
            float[] ys = new float[xs.length];
            assertEquals(Math.sqrt(centred / n), Scores.std(x, y, n, xs, ys), 0.0);
            assertEquals(squares / n, Scores.mse(x, y, n, xs, ys), 0.0);
        }
    }

    private static FloatBuffer random(Random random, int n) {
        FloatBuffer b = FloatBuffer.allocate(n);
        for (int i = 0; i < n; i++) {
            b.put(i, random.nextFloat());
        }
        return b;
    }

    /** training/CONTRACT.md, literally: m = channel mean of |r|, blur rows then columns, index clamped per tap. */
    private static double[] plainResidualMap(FloatBuffer x, FloatBuffer y, ModelGeometry geometry, double[] k) {
        int c = geometry.channels();
        int h = geometry.height();
        int w = geometry.width();
        int plane = h * w;
        int radius = k.length / 2;
        double[] m = new double[plane];
        for (int p = 0; p < plane; p++) {
            double sum = 0;
            for (int ch = 0; ch < c; ch++) {
                sum += Math.abs((double) y.get(ch * plane + p) - x.get(ch * plane + p));
            }
            m[p] = sum / c;
        }
        double[] rows = new double[plane];
        for (int i = 0; i < h; i++) {
            for (int j = 0; j < w; j++) {
                double sum = 0;
                for (int t = -radius; t <= radius; t++) {
                    sum += k[t + radius] * m[i * w + Math.min(w - 1, Math.max(0, j + t))];
                }
                rows[i * w + j] = sum;
            }
        }
        double[] g = new double[plane];
        for (int i = 0; i < h; i++) {
            for (int j = 0; j < w; j++) {
                double sum = 0;
                for (int t = -radius; t <= radius; t++) {
                    sum += k[t + radius] * rows[Math.min(h - 1, Math.max(0, i + t)) * w + j];
                }
                g[i * w + j] = sum;
            }
        }
        return g;
    }

    @Test
    void nearestRankQuantileIsTheKthSmallestOfTheSortedValues() {
        Random random = new Random(3);
        for (int n : new int[] {1, 2, 3, 7, 100, 1000, 16384}) {
            for (int form = 0; form < 4; form++) {
                double[] values = new double[n];
                for (int i = 0; i < n; i++) {
                    values[i] = switch (form) {
                        case 0 -> random.nextDouble();
                        case 1 -> random.nextInt(5) / 4.0; // many ties
                        case 2 -> i; // sorted
                        default -> n - i; // reversed
                    };
                }
                double[] sorted = values.clone();
                java.util.Arrays.sort(sorted);
                for (double q : new double[] {0.0, 1e-9, 0.5, 0.9, 0.999, 1.0}) {
                    int k = Math.min(n, Math.max(1, (int) Math.ceil(q * n)));
                    double[] before = values.clone();
                    assertEquals(sorted[k - 1], Scores.nearestRankQuantile(values, n, q, new double[n]), 0.0,
                            "n " + n + ", form " + form + ", q " + q);
                    assertEquals(java.util.Arrays.toString(before), java.util.Arrays.toString(values), "input untouched");
                }
            }
        }
    }
}
