package io.lineside.ops;

import io.lineside.inspection.Inspection;
import io.lineside.inspection.Verdict;
import io.lineside.model.LoadedModel;
import io.lineside.model.ModelActivated;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.OptionalDouble;

/**
 * {@code lineside_score_drift_ratio}: the median score of the last {@value #WINDOW} GOOD parts
 * divided by the model's calibration median ({@code lineside.calibration.median}, the median score
 * of the held-out good images the threshold came from). 1.0 means good parts score as they did at
 * calibration; it climbs when lighting, lens or parts change, before the false rejects do.
 * <p>
 * The gauge always exists and reads NaN (no alert compares true) until {@value #MINIMUM} GOOD
 * scores of the model in service have been seen, and when the model carries no calibration median.
 * A model swap starts the window afresh: scores of different models are not comparable.
 */
@ApplicationScoped
public class ScoreDrift {
    private static final Logger LOG = Logger.getLogger(ScoreDrift.class);

    /** About a shift's worth of parts on a slow line, minutes on a fast one. */
    static final int WINDOW = 200;
    /** The median of fewer good parts moves too much to alert on. */
    static final int MINIMUM = 50;

    @Inject
    MeterRegistry registry;

    private final GoodScoreWindow goodScores = new GoodScoreWindow(WINDOW, MINIMUM);
    /** The model whose GOOD scores fill the window, and its calibration median. */
    private volatile Reference reference = new Reference(null, Double.NaN);

    private record Reference(String modelSha256, double calibrationMedian) {
    }

    @PostConstruct
    void register() {
        Gauge.builder("lineside.score.drift.ratio", this, ScoreDrift::ratio)
                .description("Median score of the last " + WINDOW + " GOOD parts / the model's calibration median"
                        + " (NaN until " + MINIMUM + " GOOD parts were seen, or without a calibration median)")
                .strongReference(true)
                .register(registry);
    }

    /** Creates the bean, and so the gauge, at start-up. */
    void onStart(@Observes StartupEvent event) {
        LOG.debugf("score drift over the last %d GOOD parts (at least %d)", WINDOW, MINIMUM);
    }

    void onModelActivated(@Observes ModelActivated event) {
        LoadedModel model = event.current();
        OptionalDouble median = model.bundle().metadata().calibrationMedian();
        if (median.isEmpty()) {
            LOG.warnf("model %s has no lineside.calibration.median: lineside_score_drift_ratio stays NaN",
                    model.bundle().identity());
        }
        reset(model.bundle().identity().sha256(), median);
    }

    void onInspection(@Observes Inspection inspection) {
        observe(inspection);
    }

    synchronized void reset(String modelSha256, OptionalDouble calibrationMedian) {
        reference = new Reference(modelSha256, calibrationMedian.orElse(Double.NaN));
        goodScores.clear();
    }

    void observe(Inspection inspection) {
        // In-flight inspections of a model just swapped out do not count towards the new one.
        if (inspection.verdict() == Verdict.GOOD && inspection.model().sha256().equals(reference.modelSha256())) {
            goodScores.add(inspection.score());
        }
    }

    double ratio() {
        double calibrationMedian = reference.calibrationMedian();
        if (!(calibrationMedian > 0)) {
            return Double.NaN;
        }
        return goodScores.median() / calibrationMedian;
    }
}
