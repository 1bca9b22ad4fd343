package io.lineside.ingest.camera;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The camera's meters, as Prometheus shows them: {@code lineside_camera_fetch_total{camera,outcome}},
 * {@code lineside_camera_up{camera}} and {@code lineside_camera_last_success_timestamp_seconds{camera}}.
 * Every outcome is registered at zero up front so rates and alerts work from the first scrape.
 */
final class CameraMetrics {

    private final Map<FetchOutcome, Counter> fetches = new EnumMap<>(FetchOutcome.class);
    private final AtomicLong up = new AtomicLong();
    private final AtomicLong lastSuccessMillis = new AtomicLong();

    CameraMetrics(MeterRegistry registry, String camera) {
        for (FetchOutcome outcome : FetchOutcome.values()) {
            fetches.put(outcome, Counter.builder("lineside.camera.fetch")
                    .description("Snapshot requests to the camera, by outcome")
                    .tag("camera", camera)
                    .tag("outcome", outcome.label())
                    .register(registry));
        }
        Gauge.builder("lineside.camera.up", up, AtomicLong::doubleValue)
                .description("1 when the camera's last snapshot request succeeded, else 0")
                .tag("camera", camera)
                .register(registry);
        Gauge.builder("lineside.camera.last.success.timestamp.seconds", lastSuccessMillis, ms -> ms.get() / 1000.0)
                .description("Unix time of the camera's last successful snapshot request (0 = never)")
                .tag("camera", camera)
                .register(registry);
    }

    void record(FetchOutcome outcome, Instant at) {
        fetches.get(outcome).increment();
        up.set(outcome.success() ? 1 : 0);
        if (outcome.success()) {
            lastSuccessMillis.set(at.toEpochMilli());
        }
    }
}
