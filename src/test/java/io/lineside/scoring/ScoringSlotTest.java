package io.lineside.scoring;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.lineside.model.OnnxModelBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Scores through a real ONNX Runtime session on a model whose reconstruction is {@code 0.9 x + 0.02},
 * compared with the contract's formulas computed here independently, in float64.
 */
class ScoringSlotTest {
    private static final float SCALE = 0.9f;
    private static final float OFFSET = 0.02f;
    private final OrtEnvironment environment = OrtEnvironment.getEnvironment();
    private OnnxScorer scorer;

    private OnnxScorer scorer(int channels, int height, int width, ScoreFunction function, double sigma, int pool)
            throws Exception {
        OrtSession session = environment.createSession(
                OnnxModelBuilder.valid(channels, height, width).affine(SCALE, OFFSET).build(), new OrtSession.SessionOptions());
        scorer = new OnnxScorer(environment, session, "image", "reconstruction",
                new ModelGeometry(channels, height, width), function, sigma, pool);
        return scorer;
    }

    @AfterEach
    void close() throws Exception {
        if (scorer != null) {
            scorer.close();
        }
    }

    private static double[] residuals(ScoringSlot slot, int n) {
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            float x = slot.inputAt(i);
            r[i] = (double) (x * SCALE + OFFSET) - x;
        }
        return r;
    }

    @Test
    void stdAndMseFollowTheContract() throws Exception {
        scorer(1, 32, 32, ScoreFunction.STD, 2.0, 1);
        try (ScoringSlot slot = scorer.acquire()) {
            slot.preprocess(TestImages.gray(80, 60, 9));
            slot.infer();
            double[] r = residuals(slot, 32 * 32);
            double mean = java.util.Arrays.stream(r).average().orElseThrow();
            double variance = java.util.Arrays.stream(r).map(v -> (v - mean) * (v - mean)).average().orElseThrow();
            double mse = java.util.Arrays.stream(r).map(v -> v * v).average().orElseThrow();
            assertEquals(Math.sqrt(variance), slot.score(ScoreFunction.STD), 1e-6 * Math.sqrt(variance));
            assertEquals(Math.sqrt(variance), slot.score(), 1e-6 * Math.sqrt(variance));
            assertEquals(mse, slot.score(ScoreFunction.MSE), 1e-6 * mse);
            assertTrue(slot.score() > 0);
        }
    }

    @Test
    void maxBlurOfAUniformResidualIsThatResidual() throws Exception {
        scorer(3, 16, 20, ScoreFunction.MAX_BLUR, 2.0, 1);
        try (ScoringSlot slot = scorer.acquire()) {
            slot.fill(0.5f);
            slot.infer();
            double r = Math.abs((0.5f * SCALE + OFFSET) - 0.5f);
            assertEquals(r, slot.score(), 1e-6);
            assertEquals(0.0, slot.score(ScoreFunction.STD), 1e-7);
        }
    }

    @Test
    void maxBlurOfOneHotPixelIsTheKernelPeakSquared() throws Exception {
        // One bright pixel on black, far from the borders: g peaks at k[0]^2 * |r| at that pixel.
        scorer(1, 32, 32, ScoreFunction.MAX_BLUR, 1.5, 1);
        BufferedImage image = new BufferedImage(32, 32, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setSample(16, 16, 0, 255);
        try (ScoringSlot slot = scorer.acquire()) {
            slot.preprocess(image);
            slot.infer();
            double[] k = Scores.gaussianKernel(1.5);
            assertEquals(11, k.length, "R = ceil(3 * 1.5) = 5");
            double background = OFFSET;
            double hot = Math.abs(1f * SCALE + OFFSET - 1f);
            // g at the hot pixel: background everywhere plus (hot - background) weighted by the centre tap twice.
            double expected = background + (hot - background) * k[5] * k[5];
            assertEquals(expected, slot.score(), 1e-6);
            float[] map = new float[32 * 32];
            slot.copyResidualMap(map);
            int argmax = 0;
            for (int i = 1; i < map.length; i++) {
                if (map[i] > map[argmax]) {
                    argmax = i;
                }
            }
            assertEquals(16 * 32 + 16, argmax, "the residual map is hottest at the defect");
            assertEquals((float) expected, map[argmax], 1e-6);
        }
    }

    @Test
    void ssimOfAFlatImageIsItsLuminanceTerm() throws Exception {
        // No variance anywhere: SSIM = (2ab + C1) / (a^2 + b^2 + C1) at every pixel, so map and score equal it.
        scorer(3, 16, 20, ScoreFunction.SSIM, 1.5, 1);
        try (ScoringSlot slot = scorer.acquire()) {
            slot.fill(0.5f);
            slot.infer();
            double a = 0.5f;
            double b = 0.5f * SCALE + OFFSET;
            double expected = 1 - (2 * a * b + 1e-4) / (a * a + b * b + 1e-4);
            assertEquals(expected, slot.score(), 1e-9);
            float[] map = new float[16 * 20];
            slot.copyResidualMap(map);
            for (float v : map) {
                assertEquals((float) expected, v, 1e-7f);
            }
        }
    }

    @Test
    void ssimIsTheNearestRank999thPermilleOfTheContractsMap() throws Exception {
        // The contract's formula, window by window with clamped indices, computed here independently.
        int size = 32;
        double sigma = 1.5;
        scorer(1, size, size, ScoreFunction.SSIM, sigma, 1);
        try (ScoringSlot slot = scorer.acquire()) {
            slot.preprocess(TestImages.gray(80, 60, 9));
            slot.infer();
            double[] k = Scores.gaussianKernel(sigma);
            int radius = k.length / 2;
            double[] expected = new double[size * size];
            for (int h = 0; h < size; h++) {
                for (int w = 0; w < size; w++) {
                    double mx = 0, my = 0, xx = 0, yy = 0, xy = 0;
                    for (int i = -radius; i <= radius; i++) {
                        for (int j = -radius; j <= radius; j++) {
                            int at = Math.min(size - 1, Math.max(0, h + i)) * size + Math.min(size - 1, Math.max(0, w + j));
                            double weight = k[i + radius] * k[j + radius];
                            double x = slot.inputAt(at);
                            double y = slot.outputAt(at);
                            mx += weight * x;
                            my += weight * y;
                            xx += weight * x * x;
                            yy += weight * y * y;
                            xy += weight * x * y;
                        }
                    }
                    double ssim = (2 * mx * my + 1e-4) * (2 * (xy - mx * my) + 9e-4)
                            / ((mx * mx + my * my + 1e-4) * (xx - mx * mx + yy - my * my + 9e-4));
                    expected[h * size + w] = 1 - ssim;
                }
            }
            float[] map = new float[size * size];
            slot.copyResidualMap(map);
            for (int i = 0; i < map.length; i++) {
                assertEquals(expected[i], map[i], 1e-6, "1 - SSIM at pixel " + i);
            }
            double[] sorted = expected.clone();
            java.util.Arrays.sort(sorted);
            double quantile = sorted[(int) Math.ceil(0.999 * size * size) - 1]; // k = 1023 of 1024
            assertTrue(quantile > 0, "a reconstruction 0.9 x + 0.02 differs in structure from x");
            assertEquals(quantile, slot.score(), 1e-9 + 1e-9 * quantile);
            assertEquals(quantile, slot.score(ScoreFunction.SSIM), 1e-9 + 1e-9 * quantile);
        }
    }

    @Test
    void gaussianKernelIsNormalisedAndSymmetric() {
        double[] k = Scores.gaussianKernel(2.0);
        assertEquals(13, k.length);
        assertEquals(1.0, java.util.Arrays.stream(k).sum(), 1e-12);
        assertEquals(k[0], k[12]);
        assertEquals(Math.exp(-36 / 8.0) / Math.exp(0), k[0] / k[6], 1e-12);
    }

    @Test
    void scoringBeforeInferenceIsAProgrammingError() throws Exception {
        scorer(1, 8, 8, ScoreFunction.STD, 2.0, 1);
        try (ScoringSlot slot = scorer.acquire()) {
            slot.fill(0.1f);
            assertThrows(IllegalStateException.class, slot::score);
        }
    }

    @Test
    void concurrentInferencesEachKeepTheirOwnBuffers() throws Exception {
        scorer(1, 32, 32, ScoreFunction.MSE, 2.0, 3);
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 60; t++) {
                float value = (t % 10) / 10f;
                results.add(pool.submit(() -> {
                    try (ScoringSlot slot = scorer.acquire()) {
                        slot.fill(value);
                        slot.infer();
                        double r = (value * SCALE + OFFSET) - value;
                        return Math.abs(slot.score() - r * r) < 1e-7;
                    }
                }));
            }
            for (Future<Boolean> result : results) {
                assertTrue(result.get());
            }
            assertEquals(3, scorer.available(), "every slot returned to the pool");
        } finally {
            pool.shutdownNow();
        }
    }
}
