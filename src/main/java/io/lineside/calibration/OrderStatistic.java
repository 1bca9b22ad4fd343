package io.lineside.calibration;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Arrays;

/**
 * The trainer's calibration rule, implemented once more in Java (training/CONTRACT.md, "Verdict
 * and calibration"): with n held-out good scores and target false-reject rate alpha,
 * {@code k = ceil((n + 1) * (1 - alpha))} and the threshold is the k-th smallest score (1-based).
 * A new good part then exceeds the threshold with probability at most about alpha (split conformal
 * bound). When {@code k > n} there are too few images for that alpha and the request is refused.
 *
 * <p>Like the trainer, alpha is taken as the decimal it is written as (0.01 is exactly 1/100, via
 * {@link BigDecimal#valueOf(double)}, Python's {@code Fraction(repr(alpha))}) and the rank is computed
 * exactly, so binary floating point never moves k by one and both sides pick the same k for every
 * (n, alpha).
 */
public final class OrderStatistic {

    private OrderStatistic() {
    }

    /**
     * @param n         how many good images were scored
     * @param alpha     target false-reject rate in (0, 1)
     * @param k         1-based rank of the chosen score
     * @param threshold the k-th smallest score
     * @param median    median of the scores (mean of the two middle ones for even n), the drift reference
     */
    public record Calibrated(int n, double alpha, int k, double threshold, double median) {
    }

    /** 1-based rank of the threshold among n sorted scores; may exceed n (then n is too small). */
    public static long rank(int n, double alpha) {
        checkAlpha(alpha);
        BigDecimal exact = BigDecimal.valueOf(n + 1L).multiply(BigDecimal.ONE.subtract(BigDecimal.valueOf(alpha)));
        return exact.setScale(0, RoundingMode.CEILING).longValueExact();
    }

    /** The smallest n for which {@link #rank} is at most n: {@code ceil(1/alpha) - 1} images. */
    public static int imagesNeeded(double alpha) {
        checkAlpha(alpha);
        BigDecimal needed = BigDecimal.ONE.divide(BigDecimal.valueOf(alpha), 0, RoundingMode.CEILING)
                .subtract(BigDecimal.ONE);
        return needed.compareTo(BigDecimal.valueOf(Integer.MAX_VALUE)) > 0 ? Integer.MAX_VALUE : needed.intValueExact();
    }

    /** Calibrates a threshold from good-part scores; refuses too few images or non-finite scores. */
    public static Calibrated calibrate(double[] scores, double alpha) {
        checkAlpha(alpha);
        int n = scores.length;
        for (double s : scores) {
            if (!Double.isFinite(s)) {
                throw new CalibrationRefused(422, "non-finite-score",
                        "A calibration image scored " + s + "; the model produced an unusable output");
            }
        }
        long k = rank(n, alpha);
        if (k > n) {
            throw new CalibrationRefused(422, "too-few-images", String.format(java.util.Locale.ROOT,
                    "alpha=%s needs at least %d good images (k = ceil((n+1)(1-alpha)) must not exceed n); got %d",
                    alpha, imagesNeeded(alpha), n));
        }
        double[] sorted = scores.clone();
        Arrays.sort(sorted);
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        // k >= 1 always: (n+1)(1-alpha) > 0 for alpha < 1 and n >= 0, and n >= k rules out n = 0.
        return new Calibrated(n, alpha, (int) k, sorted[(int) k - 1], median);
    }

    private static void checkAlpha(double alpha) {
        if (!(alpha > 0 && alpha < 1)) {
            throw new CalibrationRefused(400, "invalid-alpha",
                    "alpha is the target false-reject rate and must lie strictly between 0 and 1; got " + alpha);
        }
    }
}
