package io.lineside.ingest.camera;

import io.lineside.inspection.ImageInput;
import io.lineside.inspection.Inspection;
import io.lineside.inspection.Outcome;
import io.lineside.inspection.Rejection;
import org.jboss.logging.Logger;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * One camera's polling logic, free of threads: {@link #pollOnce()} fetches a frame, skips it when
 * unchanged, hands it to the pipeline, and says how long to wait before the next poll (the interval,
 * or a growing backoff while the camera fails). {@link #trigger()} grabs and inspects a frame now.
 * Fetch and inspection are serialised so a trigger and a poll never hit the camera at once.
 */
public final class CameraPoller {

    private static final Logger LOG = Logger.getLogger(CameraPoller.class);
    private static final DateTimeFormatter FRAME_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss.SSS", Locale.ROOT).withZone(ZoneOffset.UTC);

    private final SnapshotFetcher fetcher;
    private final String camera;
    private final Duration interval;
    private final boolean skipUnchanged;
    private final Backoff backoff;
    private final Function<ImageInput, Outcome> pipeline;
    private final CameraMetrics metrics;
    private final ReentrantLock lock = new ReentrantLock(true);

    // Guarded by lock.
    private String lastEtag;
    private byte[] lastHash;
    private int consecutiveFailures;
    private long inspected;
    private long unchanged;
    private String lastRejectReason;
    private boolean everAttempted;
    private boolean pipelineFailing;

    private volatile CameraStatus status;

    CameraPoller(SnapshotFetcher fetcher, String camera, Duration interval, Duration maxBackoff, boolean skipUnchanged,
                 Function<ImageInput, Outcome> pipeline, CameraMetrics metrics) {
        this.fetcher = fetcher;
        this.camera = camera;
        this.interval = interval;
        this.skipUnchanged = skipUnchanged;
        this.backoff = new Backoff(interval, maxBackoff);
        this.pipeline = pipeline;
        this.metrics = metrics;
        this.status = new CameraStatus(camera, fetcher.target().toString(), polling(), false, null, null, null, null,
                0, null, 0, 0);
    }

    /** Whether this camera is polled; with {@code interval = 0} it only grabs frames on trigger. */
    public boolean polling() {
        return !interval.isZero();
    }

    public CameraStatus status() {
        return status;
    }

    /**
     * One scheduled poll. Never throws.
     *
     * @return how long to wait before the next poll
     */
    public Duration pollOnce() {
        long start = System.nanoTime();
        lock.lock();
        try {
            FetchResult result = fetcher.fetch(skipUnchanged ? lastEtag : null);
            FetchOutcome outcome = result.outcome();
            if (result instanceof FetchResult.Frame frame) {
                byte[] hash = sha256(frame.bytes());
                if (skipUnchanged && Arrays.equals(hash, lastHash)) {
                    outcome = FetchOutcome.UNCHANGED;
                    lastEtag = frame.etag();
                } else {
                    try {
                        inspect(frame, hash, false);
                        pipelineFailing = false;
                    } catch (RuntimeException e) {
                        // The appliance failed (no model, journal refused), not the frame. The frame is
                        // not marked as seen, so the next poll tries it again; polling goes on.
                        if (!pipelineFailing) {
                            LOG.errorf("Camera %s: frames cannot be inspected (%s); polling goes on and retries", camera, e.getMessage());
                            LOG.debug("Why the inspection failed", e);
                        } else {
                            LOG.debugf("Camera %s: inspection still failing: %s", camera, e.getMessage());
                        }
                        pipelineFailing = true;
                    }
                }
            }
            return settle(outcome, result, start, true);
        } catch (RuntimeException e) {
            LOG.errorf(e, "Camera %s: poll failed unexpectedly; polling goes on", camera);
            return backoff.delayAfter(Math.max(1, consecutiveFailures));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Grabs a frame now, unconditionally (no ETag, no hash skip: a PLC asked for this part's verdict), and inspects it.
     *
     * @throws CameraFetchException when no frame could be fetched
     */
    public Outcome trigger() {
        long start = System.nanoTime();
        lock.lock();
        try {
            FetchResult result = fetcher.fetch(null);
            if (result instanceof FetchResult.Frame frame) {
                settle(FetchOutcome.OK, result, start, false);
                return inspect(frame, sha256(frame.bytes()), true);
            }
            settle(result.outcome(), result, start, false);
            String detail = result instanceof FetchResult.Failure f ? f.detail() : "camera answered 304 Not Modified to an unconditional request";
            throw new CameraFetchException(result.outcome(), detail);
        } finally {
            lock.unlock();
        }
    }

    private Outcome inspect(FetchResult.Frame frame, byte[] hash, boolean triggered) {
        Instant receivedAt = Instant.now();
        String name = camera + "-" + FRAME_TIME.format(receivedAt) + (triggered ? "-trigger" : "") + extension(frame.contentType());
        Outcome outcome = pipeline.apply(new ImageInput(frame.bytes(), name, camera, receivedAt));
        // Only a committed outcome marks the frame as seen.
        lastHash = hash;
        lastEtag = frame.etag();
        inspected++;
        if (outcome instanceof Rejection rejection) {
            String reason = rejection.reason().label();
            if (!reason.equals(lastRejectReason)) {
                LOG.warnf("Camera %s: frame rejected (%s): %s", camera, reason, rejection.detail());
            }
            lastRejectReason = reason;
        } else if (outcome instanceof Inspection && lastRejectReason != null) {
            LOG.infof("Camera %s: frames inspect normally again", camera);
            lastRejectReason = null;
        }
        return outcome;
    }

    /** Records the attempt (metrics, status, log on state change) and returns the wait before the next poll. */
    private Duration settle(FetchOutcome outcome, FetchResult result, long start, boolean scheduled) {
        Instant now = Instant.now();
        metrics.record(outcome, now);
        String detail = result instanceof FetchResult.Failure f ? f.detail() : null;
        boolean wasUp = status.up();
        Duration delay;
        if (outcome.success()) {
            if (!wasUp) {
                if (consecutiveFailures > 0) {
                    LOG.infof("Camera %s (%s) is back after %d failed attempts", camera, fetcher.target(), consecutiveFailures);
                } else if (!everAttempted) {
                    LOG.infof("Camera %s (%s) is up", camera, fetcher.target());
                }
            }
            consecutiveFailures = 0;
            if (outcome == FetchOutcome.UNCHANGED) {
                unchanged++;
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            delay = elapsed.compareTo(interval) >= 0 ? Duration.ZERO : interval.minus(elapsed);
        } else {
            consecutiveFailures++;
            delay = backoff.delayAfter(consecutiveFailures);
            if (wasUp || !everAttempted || consecutiveFailures == 1 || !outcome.equals(status.lastOutcome())) {
                LOG.warnf("Camera %s (%s) failed: %s: %s; retrying in %d ms", camera, fetcher.target(),
                        outcome.label(), detail, delay.toMillis());
            } else {
                LOG.debugf("Camera %s failed again (%d in a row): %s: %s", camera, consecutiveFailures, outcome.label(), detail);
            }
        }
        everAttempted = true;
        CameraStatus previous = status;
        status = new CameraStatus(camera, fetcher.target().toString(), polling(), outcome.success(), outcome, detail, now,
                outcome.success() ? now : previous.lastSuccess(), consecutiveFailures,
                !polling() ? null : scheduled ? now.plus(delay) : previous.nextAttempt(), inspected, unchanged);
        return delay;
    }

    private static String extension(String contentType) {
        if (contentType == null) {
            return "";
        }
        String type = contentType.toLowerCase(Locale.ROOT).split(";", 2)[0].trim();
        return switch (type) {
            case "image/jpeg", "image/jpg", "image/pjpeg" -> ".jpg";
            case "image/png" -> ".png";
            case "image/bmp", "image/x-bmp", "image/x-ms-bmp" -> ".bmp";
            default -> "";
        };
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
