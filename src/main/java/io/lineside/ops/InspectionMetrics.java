package io.lineside.ops;

import io.lineside.config.LinesideConfig;
import io.lineside.inspection.Inspection;
import io.lineside.inspection.Outcome;
import io.lineside.inspection.RejectReason;
import io.lineside.inspection.Rejection;
import io.lineside.inspection.Timings;
import io.lineside.inspection.Verdict;
import io.lineside.model.ActiveModel;
import io.lineside.model.LoadedModel;
import io.lineside.model.ModelActivated;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.prometheus.client.Histogram;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * lineside's own Prometheus metrics, fed by the pipeline's outcome events and model changes:
 * {@code lineside_inspections_total{source,verdict}}, {@code lineside_rejected_total{source,reason}},
 * {@code lineside_anomaly_score} (histogram), {@code lineside_inspection_seconds{phase}} (histogram),
 * {@code lineside_threshold} and {@code lineside_model_info{name,version,sha256}}.
 */
@ApplicationScoped
public class InspectionMetrics {
    /** The source label of uploads; its series exist from start-up so rates and alerts work at once. */
    private static final String API_SOURCE = "api";
    private static final String FOLDER_SOURCE = "folder";

    /**
     * Scores are small (std ~1e-2, mse ~1e-4, max-blur ~1e-1 on [0,1] images) except ssim's (1 - SSIM:
     * 0 to 2, thresholds near 1 on textured parts): buckets at 1, 2.5 and 5 per decade from 1e-5 to 1
     * resolve each of them, and 1.25, 1.5, 2 the top of ssim's range, at 19 series.
     */
    static final double[] SCORE_BUCKETS = {
            1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
            1.25, 1.5, 2.0};

    /** Phases run from ~0.1 ms (score) to ~100 ms (decode/infer of large images): 0.25 ms .. 5 s. */
    static final Duration[] LATENCY_BUCKETS = {
            Duration.ofNanos(250_000), Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofNanos(2_500_000),
            Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
            Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
            Duration.ofMillis(2500), Duration.ofSeconds(5)};

    static final String[] PHASES = {"decode", "preprocess", "infer", "score", "total"};

    @Inject
    MeterRegistry registry;

    @Inject
    LinesideConfig config;

    @Inject
    ActiveModel activeModel;

    /**
     * A Prometheus histogram, not a Micrometer DistributionSummary: Micrometer's fixed-boundary
     * histogram rounds every recorded value up to a whole number (Math.ceil to long) before picking
     * its bucket, so scores below 1 all land in le="1.0" and the score quantiles are meaningless.
     */
    private Histogram scores;
    private final Timer[] phaseTimers = new Timer[PHASES.length];
    /** Not a phase: how long images queue for a free scoring slot, i.e. how saturated the appliance is. */
    private Timer slotQueue;
    private Gauge modelInfo;

    void onStart(@Observes StartupEvent event) {
        ensureMeters();
        for (String source : configuredSources()) {
            for (Verdict verdict : Verdict.values()) {
                inspections(source, verdict);
            }
            for (RejectReason reason : RejectReason.values()) {
                rejections(source, reason);
            }
        }
    }

    /**
     * Every source that can deliver parts, so its series exist at zero from the first scrape:
     * rate() and increase() only count what happens after a series' first sample, so a counter
     * born at its first increment would lose that part (and skew the defect rate) after every restart.
     */
    List<String> configuredSources() {
        List<String> sources = new ArrayList<>(List.of(API_SOURCE));
        if (config.folder().enabled()) {
            sources.add(FOLDER_SOURCE);
        }
        if (config.camera().url().isPresent()) {
            sources.add(config.camera().name());
        }
        return sources;
    }

    private synchronized void ensureMeters() {
        if (scores != null) {
            return;
        }
        scores = Histogram.build("lineside_anomaly_score", "Anomaly scores of inspected images (the model's score function)")
                .buckets(SCORE_BUCKETS)
                .register(prometheusRegistry(registry).getPrometheusRegistry());
        for (int i = 0; i < PHASES.length; i++) {
            phaseTimers[i] = Timer.builder("lineside.inspection")
                    .description("Wall time of each inspection phase")
                    .tag("phase", PHASES[i])
                    .serviceLevelObjectives(LATENCY_BUCKETS)
                    .register(registry);
        }
        slotQueue = Timer.builder("lineside.scoring.queue")
                .description("Time images waited for a free scoring slot (every inference slot busy); part of the "
                        + "total phase, in no other")
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .register(registry);
        Gauge.builder("lineside.threshold", activeModel,
                        m -> m.current().map(model -> model.threshold().value()).orElse(Double.NaN))
                .description("Decision threshold in force: a score above it is a defect")
                .strongReference(true)
                .register(registry);
    }

    void onOutcome(@Observes Outcome outcome) {
        ensureMeters();
        if (outcome instanceof Inspection inspection) {
            inspections(inspection.source(), inspection.verdict()).increment();
            scores.observe(inspection.score());
            Timings t = inspection.timings();
            recordMillis(phaseTimers[0], t.decode());
            recordMillis(phaseTimers[1], t.preprocess());
            recordMillis(phaseTimers[2], t.infer());
            recordMillis(phaseTimers[3], t.score());
            recordMillis(phaseTimers[4], t.total());
            recordMillis(slotQueue, t.queue());
        } else if (outcome instanceof Rejection rejection) {
            rejections(rejection.source(), rejection.reason()).increment();
        }
    }

    /** The info gauge follows the model in service: the old identity's series goes, the new one appears. */
    synchronized void onModelActivated(@Observes ModelActivated event) {
        if (modelInfo != null) {
            registry.remove(modelInfo);
        }
        LoadedModel model = event.current();
        var identity = model.bundle().identity();
        modelInfo = Gauge.builder("lineside.model.info", () -> 1)
                .description("The model in service (value always 1; the labels identify it)")
                .tags(Tags.of("name", identity.name(), "version", identity.version(), "sha256", identity.sha256()))
                .strongReference(true)
                .register(registry);
    }

    /** The Prometheus registry that serves /q/metrics (Quarkus may hand out a composite). */
    static PrometheusMeterRegistry prometheusRegistry(MeterRegistry registry) {
        if (registry instanceof PrometheusMeterRegistry prometheus) {
            return prometheus;
        }
        if (registry instanceof CompositeMeterRegistry composite) {
            for (MeterRegistry member : composite.getRegistries()) {
                if (member instanceof PrometheusMeterRegistry prometheus) {
                    return prometheus;
                }
            }
        }
        throw new IllegalStateException("no Prometheus meter registry: lineside_anomaly_score needs quarkus-micrometer-registry-prometheus");
    }

    private Counter inspections(String source, Verdict verdict) {
        return Counter.builder("lineside.inspections")
                .description("Images inspected, by source and verdict")
                .tags("source", source, "verdict", verdict.name().toLowerCase(Locale.ROOT))
                .register(registry);
    }

    private Counter rejections(String source, RejectReason reason) {
        return Counter.builder("lineside.rejected")
                .description("Inputs rejected without a verdict, by source and reason")
                .tags("source", source, "reason", reason.label())
                .register(registry);
    }

    private static void recordMillis(Timer timer, double millis) {
        timer.record((long) (millis * 1_000_000), TimeUnit.NANOSECONDS);
    }
}
