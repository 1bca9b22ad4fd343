package io.lineside.calibration;

import io.quarkus.runtime.annotations.RegisterForReflection;

import java.time.Instant;

/**
 * An applied recalibration, as persisted in {@code lineside.calibration.state-file}. It applies only
 * to the model whose ONNX file has {@code modelSha256}; another model ignores it.
 *
 * @param modelSha256 sha256 (hex) of the ONNX file the threshold was calibrated for
 * @param threshold   the applied threshold
 * @param alpha       target false-reject rate
 * @param n           good images scored
 * @param k           1-based rank of the threshold among their scores
 * @param median      median good score (reference for score drift)
 * @param appliedAt   when it was applied
 * @param source      where the images came from: {@code folder:<path under the root>} or {@code upload}
 */
@RegisterForReflection
public record ThresholdState(
        String modelSha256,
        double threshold,
        double alpha,
        int n,
        int k,
        double median,
        Instant appliedAt,
        String source) {

    public boolean appliesTo(String sha256) {
        return modelSha256 != null && modelSha256.equalsIgnoreCase(sha256);
    }
}
