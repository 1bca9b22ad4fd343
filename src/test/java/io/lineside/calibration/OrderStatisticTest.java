package io.lineside.calibration;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OrderStatisticTest {

    /**
     * Every (n, alpha) of the fixture written by rank-python.py with the trainer's own functions gets the
     * same k and the same "images needed" in Java, including the cases where naive floating point differs.
     */
    @Test
    void rankMatchesPython() throws IOException {
        int rows = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                getClass().getResourceAsStream("/calibration/rank-python.csv"), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.startsWith("#") || line.startsWith("n,")) {
                    continue;
                }
                String[] f = line.split(",");
                int n = Integer.parseInt(f[0]);
                double alpha = Double.parseDouble(f[1]);
                assertEquals(Long.parseLong(f[2]), OrderStatistic.rank(n, alpha), "k for n=" + n + " alpha=" + alpha);
                assertEquals(Integer.parseInt(f[3]), OrderStatistic.imagesNeeded(alpha), "needed for alpha=" + alpha);
                rows++;
            }
        }
        assertTrue(rows > 3500, "fixture read: " + rows);
    }

    @Test
    void exactDecimalAlphaNotBinaryFloatingPoint() {
        // (999 + 1) * (1 - 0.059) is 941 exactly; in binary floating point it is 941.0000000000001 (ceil 942).
        assertEquals(941, OrderStatistic.rank(999, 0.059));
        assertEquals(942, (long) Math.ceil((999 + 1) * (1 - 0.059)), "the trap this avoids");
    }

    @Test
    void picksTheKthSmallestScore() {
        // n = 19, alpha = 0.1: k = ceil(20 * 0.9) = 18, so the 18th smallest (the third largest).
        double[] scores = new double[19];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = (i * 7 % 19) / 100.0; // a permutation of 0.00 .. 0.18
        }
        OrderStatistic.Calibrated c = OrderStatistic.calibrate(scores, 0.1);
        assertEquals(19, c.n());
        assertEquals(18, c.k());
        assertEquals(0.17, c.threshold(), 0);
        assertEquals(0.09, c.median(), 0);
        assertEquals(0.1, c.alpha(), 0);
    }

    @Test
    void boundedFalseRejectsOnTheCalibrationSetItself() {
        Random random = new Random(42);
        for (double alpha : new double[]{0.2, 0.05, 0.01}) {
            double[] scores = random.doubles(1000).map(x -> 0.01 + x * x).toArray();
            OrderStatistic.Calibrated c = OrderStatistic.calibrate(scores, alpha);
            long above = Arrays.stream(scores).filter(s -> s > c.threshold()).count();
            assertTrue(above <= alpha * scores.length, alpha + ": " + above + " above the threshold");
            assertTrue(above >= alpha * scores.length - 2, alpha + ": threshold is not needlessly high");
        }
    }

    @Test
    void evenCountMedianIsTheMeanOfTheMiddlePair() {
        OrderStatistic.Calibrated c = OrderStatistic.calibrate(new double[]{4, 1, 3, 2}, 0.2);
        assertEquals(2.5, c.median(), 0);
        assertEquals(4, c.k()); // ceil(5 * 0.8) = 4
        assertEquals(4, c.threshold(), 0);
    }

    @Test
    void tooFewImagesIsRefusedWithTheNumberNeeded() {
        assertEquals(99, OrderStatistic.imagesNeeded(0.01));
        assertEquals(19, OrderStatistic.imagesNeeded(0.05));
        assertEquals(1, OrderStatistic.imagesNeeded(0.5));
        CalibrationRefused refused = assertThrows(CalibrationRefused.class,
                () -> OrderStatistic.calibrate(new double[98], 0.01));
        assertEquals(422, refused.status());
        assertEquals("too-few-images", refused.error());
        assertTrue(refused.detail().contains("at least 99"), refused.detail());
        assertTrue(refused.detail().contains("got 98"), refused.detail());
        assertEquals(99, OrderStatistic.calibrate(new double[99], 0.01).k());
        assertThrows(CalibrationRefused.class, () -> OrderStatistic.calibrate(new double[0], 0.5));
    }

    @Test
    void imagesNeededIsTheSmallestWorkingN() {
        for (double alpha : new double[]{0.5, 0.3, 0.2, 0.1, 0.07, 0.05, 0.03, 0.02, 0.01, 0.005, 0.003, 0.001}) {
            int needed = OrderStatistic.imagesNeeded(alpha);
            assertTrue(OrderStatistic.rank(needed, alpha) <= needed, "alpha " + alpha);
            assertTrue(OrderStatistic.rank(needed - 1, alpha) > needed - 1, "alpha " + alpha);
        }
    }

    @Test
    void invalidAlphaAndScoresAreRefused() {
        for (double alpha : new double[]{0, 1, -0.1, 1.5, Double.NaN}) {
            CalibrationRefused r = assertThrows(CalibrationRefused.class,
                    () -> OrderStatistic.calibrate(new double[500], alpha));
            assertEquals(400, r.status());
            assertEquals("invalid-alpha", r.error());
        }
        double[] withNaN = new double[100];
        withNaN[3] = Double.NaN;
        assertEquals("non-finite-score",
                assertThrows(CalibrationRefused.class, () -> OrderStatistic.calibrate(withNaN, 0.1)).error());
    }
}
