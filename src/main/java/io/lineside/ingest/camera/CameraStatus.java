package io.lineside.ingest.camera;

import java.time.Instant;

/**
 * What the camera source looks like right now; safe to show (the URL is redacted).
 *
 * @param camera              the source label, {@code lineside.camera.name}
 * @param url                 the snapshot URL without credentials
 * @param polling             false in trigger-only mode ({@code lineside.camera.interval=0})
 * @param up                  the last snapshot request succeeded
 * @param lastOutcome         null before the first attempt
 * @param lastDetail          why the last attempt failed, or null
 * @param lastAttempt         null before the first attempt
 * @param lastSuccess         null until a request succeeds
 * @param consecutiveFailures failures since the last success
 * @param nextAttempt         when the poller tries next (null when not polling)
 * @param inspected           frames handed to the pipeline
 * @param unchanged           frames skipped as identical to the previous one
 */
public record CameraStatus(
        String camera,
        String url,
        boolean polling,
        boolean up,
        FetchOutcome lastOutcome,
        String lastDetail,
        Instant lastAttempt,
        Instant lastSuccess,
        int consecutiveFailures,
        Instant nextAttempt,
        long inspected,
        long unchanged) {
}
