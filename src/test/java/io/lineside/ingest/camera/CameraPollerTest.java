package io.lineside.ingest.camera;

import io.lineside.ingest.camera.SnapshotServer.Behaviour;
import io.lineside.inspection.ImageInput;
import io.lineside.inspection.Inspection;
import io.lineside.inspection.ModelIdentity;
import io.lineside.inspection.Outcome;
import io.lineside.inspection.RejectReason;
import io.lineside.inspection.Rejection;
import io.lineside.inspection.Timings;
import io.lineside.inspection.Verdict;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The polling logic against a real HTTP camera: skipping, backoff, recovery, trigger, metrics.
 * The pipeline here only records what it is handed (the camera's job ends there); the
 * {@code @QuarkusTest} runs the real one.
 */
class CameraPollerTest {

    private static final String CAMERA = "line3-cam";
    private static final Duration INTERVAL = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofMillis(500);

    private SnapshotServer camera;
    private SnapshotFetcher fetcher;
    private PrometheusMeterRegistry registry;
    private final List<ImageInput> inspected = new CopyOnWriteArrayList<>();
    private final List<String> logLines = new CopyOnWriteArrayList<>();
    private final Handler logCapture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logLines.add(record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : record.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    /** Records the input; "rejects" what does not start like a JPEG, as the real decoder would. */
    private final Function<ImageInput, Outcome> pipeline = input -> {
        inspected.add(input);
        byte[] b = input.bytes();
        boolean jpeg = b.length > 2 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8;
        if (!jpeg) {
            return new Rejection("r" + inspected.size(), input.name(), input.source(), input.receivedAt(), "00",
                    RejectReason.NOT_AN_IMAGE, "not a JPEG");
        }
        return new Inspection("i" + inspected.size(), input.name(), input.source(), input.receivedAt(), "00",
                Verdict.GOOD, 0.01, 0.05, new ModelIdentity("test", "1", "00"), new Timings(0, 0, 0, 0, 0, 0));
    };

    @BeforeEach
    void start() throws IOException {
        camera = SnapshotServer.start();
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Logger logger = Logger.getLogger("io.lineside.ingest.camera");
        logger.setLevel(Level.ALL);
        logger.addHandler(logCapture);
    }

    @AfterEach
    void stop() {
        Logger.getLogger("io.lineside.ingest.camera").removeHandler(logCapture);
        if (fetcher != null) {
            fetcher.close();
        }
        camera.close();
    }

    private CameraPoller poller(URI uri, boolean skipUnchanged, Optional<String> user, Optional<String> password) {
        fetcher = new SnapshotFetcher(CameraTarget.of(uri, user, password), Duration.ofMillis(600), 1024 * 1024);
        return new CameraPoller(fetcher, CAMERA, INTERVAL, MAX_BACKOFF, skipUnchanged, pipeline, new CameraMetrics(registry, CAMERA));
    }

    private CameraPoller poller() {
        return poller(camera.uri(), true, Optional.empty(), Optional.empty());
    }

    private double fetches(String outcome) {
        return registry.get("lineside.camera.fetch").tags("camera", CAMERA, "outcome", outcome).counter().count();
    }

    private double up() {
        return registry.get("lineside.camera.up").tags("camera", CAMERA).gauge().value();
    }

    @Test
    void newFramesAreInspectedUnderTheCameraNameAndAnUnchangedOneIsSkipped() {
        CameraPoller poller = poller();
        camera.frame(TestFrames.jpeg(1));
        poller.pollOnce();
        poller.pollOnce();
        camera.frame(TestFrames.jpeg(2));
        poller.pollOnce();

        assertEquals(2, inspected.size());
        assertArrayEquals(TestFrames.jpeg(1), inspected.get(0).bytes());
        assertArrayEquals(TestFrames.jpeg(2), inspected.get(1).bytes());
        for (ImageInput input : inspected) {
            assertEquals(CAMERA, input.source());
            assertTrue(input.name().matches("line3-cam-\\d{8}-\\d{6}\\.\\d{3}\\.jpg"), input.name());
        }
        // The second poll asked with the first frame's ETag and got 304.
        assertNull(camera.ifNoneMatch.get(0));
        assertNotNull(camera.ifNoneMatch.get(1));
        assertEquals(2, fetches("ok"));
        assertEquals(1, fetches("unchanged"));
        assertEquals(1, poller.status().unchanged());
        assertEquals(1.0, up());
    }

    @Test
    void withoutEtagTheContentHashSkipsTheUnchangedFrame() {
        CameraPoller poller = poller();
        camera.behave(Behaviour.FRAMES_NO_ETAG).frame(TestFrames.jpeg(3));
        poller.pollOnce();
        poller.pollOnce();
        assertEquals(1, inspected.size());
        assertEquals(1, fetches("unchanged"));
        assertEquals(2, camera.snapshotRequests.get(), "both frames were fetched in full");
    }

    @Test
    void skipUnchangedOffInspectsEveryFrame() {
        CameraPoller poller = poller(camera.uri(), false, Optional.empty(), Optional.empty());
        camera.frame(TestFrames.jpeg(4));
        poller.pollOnce();
        poller.pollOnce();
        assertEquals(2, inspected.size());
        assertTrue(camera.ifNoneMatch.stream().allMatch(h -> h == null), "no conditional requests");
    }

    @Test
    void serverErrorsBackOffExponentiallyToTheCapThenRecover() {
        CameraPoller poller = poller();
        camera.behave(Behaviour.ERROR_500);
        List<Long> delays = new java.util.ArrayList<>();
        for (int i = 0; i < 5; i++) {
            delays.add(poller.pollOnce().toMillis());
        }
        assertEquals(List.of(100L, 200L, 400L, 500L, 500L), delays);
        assertEquals(5, fetches("http_5xx"));
        assertEquals(0.0, up());
        assertEquals(5, poller.status().consecutiveFailures());
        assertEquals(FetchOutcome.HTTP_5XX, poller.status().lastOutcome());
        assertTrue(inspected.isEmpty());

        camera.behave(Behaviour.FRAMES).frame(TestFrames.jpeg(5));
        Duration next = poller.pollOnce();
        assertTrue(next.compareTo(INTERVAL) <= 0, "back to the interval: " + next);
        assertEquals(1, inspected.size());
        assertEquals(1.0, up());
        assertEquals(0, poller.status().consecutiveFailures());
        assertTrue(logLines.stream().anyMatch(l -> l.contains("is back after 5 failed attempts")), logLines.toString());
    }

    @Test
    void aHangingCameraTimesOutAndIsDown() {
        CameraPoller poller = poller();
        camera.behave(Behaviour.HANG);
        long start = System.nanoTime();
        poller.pollOnce();
        assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() < 1500);
        assertEquals(1, fetches("timeout"));
        assertEquals(0.0, up());
    }

    @Test
    void garbageGoesToThePipelineWhichRejectsItAndPollingGoesOn() {
        CameraPoller poller = poller();
        camera.behave(Behaviour.GARBAGE);
        poller.pollOnce();
        camera.behave(Behaviour.FRAMES).frame(TestFrames.jpeg(6));
        poller.pollOnce();
        assertEquals(2, inspected.size());
        assertEquals(4096, inspected.get(0).bytes().length);
        assertArrayEquals(TestFrames.jpeg(6), inspected.get(1).bytes());
        assertTrue(logLines.stream().anyMatch(l -> l.contains("frame rejected (not-an-image)")), logLines.toString());
    }

    @Test
    void endlessBodyIsCutAndTheNextFrameInspected() {
        CameraPoller poller = poller();
        camera.behave(Behaviour.ENDLESS);
        poller.pollOnce();
        assertEquals(1, fetches("too_large"));
        camera.behave(Behaviour.FRAMES).frame(TestFrames.jpeg(7));
        poller.pollOnce();
        assertEquals(1, inspected.size());
    }

    @Test
    void aFrameTheApplianceFailedToInspectIsTriedAgain() {
        java.util.concurrent.atomic.AtomicBoolean applianceDown = new java.util.concurrent.atomic.AtomicBoolean(true);
        fetcher = new SnapshotFetcher(CameraTarget.of(camera.uri(), Optional.empty(), Optional.empty()), Duration.ofMillis(600), 1024 * 1024);
        CameraPoller poller = new CameraPoller(fetcher, CAMERA, INTERVAL, MAX_BACKOFF, true, input -> {
            if (applianceDown.get()) {
                throw new IllegalStateException("journal unavailable");
            }
            return pipeline.apply(input);
        }, new CameraMetrics(registry, CAMERA));
        camera.frame(TestFrames.jpeg(14));
        poller.pollOnce();
        poller.pollOnce();
        assertTrue(inspected.isEmpty());
        assertNull(camera.ifNoneMatch.get(1), "the failed frame is not marked as seen");
        applianceDown.set(false);
        poller.pollOnce();
        assertEquals(1, inspected.size());
        assertArrayEquals(TestFrames.jpeg(14), inspected.get(0).bytes());
        assertEquals(1, logLines.stream().filter(l -> l.contains("frames cannot be inspected")).count(), "logged once, not per poll");
    }

    @Test
    void cameraSwitchedOffAndOnAgainResumesInspections() throws IOException {
        CameraPoller poller = poller();
        camera.frame(TestFrames.jpeg(8));
        poller.pollOnce();
        int port = camera.port();
        camera.close();

        poller.pollOnce();
        poller.pollOnce();
        assertEquals(2, fetches("refused"));
        assertEquals(0.0, up());

        camera = SnapshotServer.restartOn(port).frame(TestFrames.jpeg(9));
        poller.pollOnce();
        camera.frame(TestFrames.jpeg(10));
        poller.pollOnce();
        assertEquals(3, inspected.size());
        assertArrayEquals(TestFrames.jpeg(10), inspected.get(2).bytes());
        assertEquals(1.0, up());
    }

    @Test
    void triggerInspectsTheCurrentFrameEvenWhenUnchanged() {
        CameraPoller poller = poller();
        camera.frame(TestFrames.jpeg(11));
        poller.pollOnce();
        Outcome outcome = poller.trigger();
        assertInstanceOf(Inspection.class, outcome);
        assertEquals(2, inspected.size());
        assertTrue(inspected.get(1).name().contains("-trigger"), inspected.get(1).name());
        assertNull(camera.ifNoneMatch.get(1), "a trigger asks unconditionally");
        poller.pollOnce();
        assertEquals(2, inspected.size(), "the poll after the trigger skips the frame it already saw");
    }

    @Test
    void triggerOnAFailingCameraSaysWhy() {
        CameraPoller poller = poller();
        camera.behave(Behaviour.REDIRECT_LOOP);
        CameraFetchException e = assertThrows(CameraFetchException.class, poller::trigger);
        assertEquals(FetchOutcome.REDIRECT_LOOP, e.outcome());
        assertEquals(1, fetches("redirect_loop"));
        assertTrue(inspected.isEmpty());
    }

    @Test
    void metricsReadAsPrometheusShowsThem() {
        CameraPoller poller = poller();
        camera.frame(TestFrames.jpeg(12));
        poller.pollOnce();
        // The text exposition format may end a label set with a comma; both forms are valid.
        String scrape = registry.scrape().replace(",}", "}");
        assertTrue(scrape.contains("lineside_camera_fetch_total{camera=\"line3-cam\",outcome=\"ok\"} 1.0"), scrape);
        assertTrue(scrape.contains("lineside_camera_fetch_total{camera=\"line3-cam\",outcome=\"redirect_loop\"} 0.0"), scrape);
        assertTrue(scrape.contains("lineside_camera_up{camera=\"line3-cam\"} 1.0"), scrape);
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("lineside_camera_last_success_timestamp_seconds\\{camera=\"line3-cam\"} ([0-9.E]+)").matcher(scrape);
        assertTrue(m.find(), scrape);
        double seconds = Double.parseDouble(m.group(1));
        assertTrue(Math.abs(seconds - System.currentTimeMillis() / 1000.0) < 60, "last success " + seconds);
    }

    @Test
    void credentialsNeverReachLogsStatusOrMetrics() {
        camera.requireDigest("admin", "Pa55-never-shown");
        CameraPoller poller = poller(URI.create("http://admin:Pa55-never-shown@127.0.0.1:" + camera.port() + SnapshotServer.PATH + "?pwd=Pa55-never-shown"),
                true, Optional.empty(), Optional.empty());
        camera.frame(TestFrames.jpeg(13));
        poller.pollOnce();
        assertEquals(1, inspected.size(), "digest with credentials from the URL works");
        camera.behave(Behaviour.REDIRECT_LOOP);
        poller.pollOnce();
        camera.close();
        poller.pollOnce();

        String everything = String.join("\n", logLines) + registry.scrape() + poller.status();
        assertFalse(logLines.isEmpty());
        assertFalse(everything.contains("Pa55-never-shown"), everything);
        assertTrue(poller.status().url().contains("pwd=***"), poller.status().url());
    }
}
