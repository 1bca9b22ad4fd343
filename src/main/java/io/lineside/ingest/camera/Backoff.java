package io.lineside.ingest.camera;

import java.time.Duration;

/**
 * Wait between attempts while the camera fails: the poll interval, doubled per consecutive
 * failure, capped at {@code lineside.camera.max-backoff}. The first success returns to the interval.
 */
final class Backoff {

    /** Floor for the first retry, so a 0 s interval (trigger-only) or a tiny one cannot hammer a dead camera. */
    private static final Duration MIN_BASE = Duration.ofMillis(100);

    private final Duration base;
    private final Duration max;

    Backoff(Duration interval, Duration max) {
        this.base = interval.compareTo(MIN_BASE) < 0 ? MIN_BASE : interval;
        this.max = max.compareTo(this.base) < 0 ? this.base : max;
    }

    /** @param consecutiveFailures at least 1 */
    Duration delayAfter(int consecutiveFailures) {
        int doublings = Math.min(Math.max(consecutiveFailures - 1, 0), 30);
        Duration delay = base.multipliedBy(1L << doublings);
        return delay.compareTo(max) > 0 ? max : delay;
    }
}
