package io.lineside.ops;

import io.lineside.inspection.Inspection;
import io.lineside.inspection.ModelIdentity;
import io.lineside.inspection.Timings;
import io.lineside.inspection.Verdict;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.OptionalDouble;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The drift ratio's arithmetic and its resets; DashboardMetricsIT sees the gauge in a running app. */
class ScoreDriftTest {

    static final ModelIdentity MODEL_A = new ModelIdentity("impeller", "1", "aaaa");
    static final ModelIdentity MODEL_B = new ModelIdentity("impeller", "2", "bbbb");

    SimpleMeterRegistry registry;
    ScoreDrift drift;

    @BeforeEach
    void setUp() {
        registry = new SimpleMeterRegistry();
        drift = new ScoreDrift();
        drift.registry = registry;
        drift.register();
        drift.reset(MODEL_A.sha256(), OptionalDouble.of(0.02));
    }

    double gauge() {
        return registry.get("lineside.score.drift.ratio").gauge().value();
    }

    static Inspection inspection(ModelIdentity model, Verdict verdict, double score) {
        return new Inspection("id", "part.png", "api", Instant.now(), "00", verdict, score, 0.05, model,
                new Timings(1, 1, 1, 1, 4, 0));
    }

    @Test
    void isNaNUntilFiftyGoodPartsThenTheirMedianOverTheCalibrationMedian() {
        for (int i = 0; i < ScoreDrift.MINIMUM - 1; i++) {
            drift.observe(inspection(MODEL_A, Verdict.GOOD, 0.03));
        }
        assertTrue(Double.isNaN(gauge()));
        drift.observe(inspection(MODEL_A, Verdict.GOOD, 0.03));
        assertEquals(1.5, gauge(), 1e-12);
    }

    @Test
    void defectsAndOtherModelsDoNotCount() {
        for (int i = 0; i < ScoreDrift.WINDOW; i++) {
            drift.observe(inspection(MODEL_A, Verdict.GOOD, 0.02));
            drift.observe(inspection(MODEL_A, Verdict.DEFECT, 0.9));
            drift.observe(inspection(MODEL_B, Verdict.GOOD, 0.5));
        }
        assertEquals(1.0, gauge(), 1e-12);
    }

    @Test
    void followsTheMostRecentWindowOfGoodParts() {
        for (int i = 0; i < ScoreDrift.WINDOW; i++) {
            drift.observe(inspection(MODEL_A, Verdict.GOOD, 0.02));
        }
        for (int i = 0; i < ScoreDrift.WINDOW / 2 + 1; i++) {   // a majority of the window now scores 0.04
            drift.observe(inspection(MODEL_A, Verdict.GOOD, 0.04));
        }
        assertEquals(2.0, gauge(), 1e-12);
    }

    @Test
    void aModelSwapStartsAfreshAndAModelWithoutCalibrationMedianReadsNaN() {
        for (int i = 0; i < ScoreDrift.WINDOW; i++) {
            drift.observe(inspection(MODEL_A, Verdict.GOOD, 0.02));
        }
        drift.reset(MODEL_B.sha256(), OptionalDouble.of(0.01));
        assertTrue(Double.isNaN(gauge()), "the old model's scores were kept");
        for (int i = 0; i < ScoreDrift.MINIMUM; i++) {
            drift.observe(inspection(MODEL_B, Verdict.GOOD, 0.012));
        }
        assertEquals(1.2, gauge(), 1e-12);
        drift.reset(MODEL_A.sha256(), OptionalDouble.empty());
        for (int i = 0; i < ScoreDrift.WINDOW; i++) {
            drift.observe(inspection(MODEL_A, Verdict.GOOD, 0.02));
        }
        assertTrue(Double.isNaN(gauge()));
    }
}
