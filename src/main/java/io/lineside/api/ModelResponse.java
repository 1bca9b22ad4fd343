package io.lineside.api;

import io.lineside.inspection.ModelIdentity;
import io.lineside.model.LoadedModel;
import io.lineside.model.ModelMetadata;
import io.lineside.model.lifecycle.ReloadReport;

import java.util.List;
import java.util.Map;

/** What {@code GET /api/v1/model} tells about the model in service. */
public record ModelResponse(
        String name,
        String version,
        String sha256,
        String origin,
        String loadedAt,
        int format,
        String arch,
        Input input,
        Map<String, List<Long>> outputs,
        Score score,
        Double mapMax,
        Region roi,
        double threshold,
        String thresholdSource,
        double modelThreshold,
        Calibration calibration,
        int concurrency,
        Map<String, String> metadata,
        ReloadReport lastReload,
        ModelIdentity previous) {

    /** The input tensor and how images are prepared for it. */
    public record Input(List<Integer> shape, int channels, int height, int width, String resize) {
    }

    /**
     * The score: {@code function} is {@code lineside.score} (format 1: the function the appliance computes;
     * format 2: the graph's method, information only, null when not named), {@code sigma} its parameter
     * (null when not given), {@code computedBy} {@code appliance} (format 1) or {@code graph} (format 2).
     */
    public record Score(String function, Double sigma, String computedBy) {
    }

    /** The region of interest images are cropped to before the resize, and where it came from ({@code model} or {@code config}). */
    public record Region(int x, int y, int width, int height, String roi, String source) {
    }

    /** How the model's own threshold was set. */
    public record Calibration(double alpha, long n, Double median) {
    }

    /** The same, with the last model change attempt and the model a rollback would restore. */
    ModelResponse withLifecycle(ReloadReport lastReload, ModelIdentity previous) {
        return new ModelResponse(name, version, sha256, origin, loadedAt, format, arch, input, outputs, score, mapMax, roi,
                threshold,
                thresholdSource, modelThreshold, calibration, concurrency, metadata, lastReload, previous);
    }

    static ModelResponse of(LoadedModel model) {
        ModelMetadata m = model.bundle().metadata();
        var g = m.geometry();
        LoadedModel.Threshold threshold = model.threshold();
        return new ModelResponse(m.name(), m.version(), model.bundle().sha256(), model.bundle().origin(),
                model.loadedAt().toString(), m.format(), m.arch().orElse(null),
                new Input(List.of(1, g.channels(), g.height(), g.width()), g.channels(), g.height(), g.width(), m.resize()),
                model.scorer().outputs().shapes(g),
                new Score(m.scoreMethod().orElse(null), Double.isNaN(m.sigma()) ? null : m.sigma(),
                        model.scorer().outputs().graphScores() ? "graph" : "appliance"),
                m.mapMax().isPresent() ? m.mapMax().getAsDouble() : null,
                model.scorer().roi().map(r -> new Region(r.x(), r.y(), r.width(), r.height(), r.toString(),
                        "lineside.roi".equals(model.scorer().roiOrigin()) ? "config" : "model")).orElse(null),
                threshold.value(), threshold.source().name().toLowerCase(java.util.Locale.ROOT), m.threshold(),
                new Calibration(m.calibrationAlpha(), m.calibrationN(),
                        m.calibrationMedian().isPresent() ? m.calibrationMedian().getAsDouble() : null),
                model.scorer().poolSize(), m.properties(), null, null);
    }
}
