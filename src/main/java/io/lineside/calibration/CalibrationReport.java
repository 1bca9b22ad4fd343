package io.lineside.calibration;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The answer of {@code POST /api/v1/model/calibration}.
 *
 * @param model           the model the images were scored with (the threshold belongs to it)
 * @param source          {@code folder:<path under the root>} or {@code upload}
 * @param n               good images scored
 * @param alpha           target false-reject rate
 * @param k               1-based rank of the new threshold among the n scores, k = ceil((n+1)(1-alpha))
 * @param oldThreshold    the threshold in force before
 * @param oldThresholdSource where it came from: model, config or calibration
 * @param newThreshold    the k-th smallest score
 * @param scores          summary of the n scores
 * @param verdictChanges  how recent inspections by this model would be judged with the new threshold
 * @param applied         whether the new threshold is now in force (only with apply=true)
 * @param persistedTo     the state file it was written to, when applied
 */
@RegisterForReflection(ignoreNested = false)
public record CalibrationReport(
        Model model,
        String source,
        int n,
        double alpha,
        int k,
        double oldThreshold,
        String oldThresholdSource,
        double newThreshold,
        Scores scores,
        VerdictChanges verdictChanges,
        boolean applied,
        String persistedTo) {

    public record Model(String name, String version, String sha256) {
    }

    public record Scores(double min, double median, double max) {
    }

    /**
     * @param window       how many recent inspections were asked for (1000)
     * @param examined     how many of them exist
     * @param sameModel    how many of those were scored by this model (only those can be re-judged: scores
     *                     of another model are on another scale)
     * @param changed      how many of those would get the other verdict with the new threshold
     * @param goodToDefect of which GOOD would become DEFECT
     * @param defectToGood of which DEFECT would become GOOD
     * @param from         where the inspections were read from
     */
    public record VerdictChanges(int window, int examined, int sameModel, int changed, int goodToDefect,
                                 int defectToGood, String from) {
    }
}
