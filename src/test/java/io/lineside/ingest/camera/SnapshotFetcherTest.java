package io.lineside.ingest.camera;

import io.lineside.ingest.camera.SnapshotServer.Behaviour;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each camera fault against a real HTTP server, one fetch at a time. */
class SnapshotFetcherTest {

    private static final Duration TIMEOUT = Duration.ofMillis(700);
    private static final long MAX_BYTES = 256 * 1024;

    private SnapshotServer camera;
    private SnapshotFetcher fetcher;

    @BeforeEach
    void start() throws IOException {
        camera = SnapshotServer.start();
    }

    @AfterEach
    void stop() {
        if (fetcher != null) {
            fetcher.close();
        }
        camera.close();
    }

    private SnapshotFetcher fetcher(URI uri, String user, String password) {
        fetcher = new SnapshotFetcher(CameraTarget.of(uri, Optional.ofNullable(user), Optional.ofNullable(password)),
                TIMEOUT, MAX_BYTES);
        return fetcher;
    }

    private SnapshotFetcher fetcher() {
        return fetcher(camera.uri(), null, null);
    }

    private static FetchResult.Failure failure(FetchResult result, FetchOutcome expected) {
        FetchResult.Failure failure = assertInstanceOf(FetchResult.Failure.class, result, () -> "got " + result);
        assertEquals(expected, failure.outcome(), failure::detail);
        return failure;
    }

    @Test
    void normalFrameArrivesWholeWithItsEtag() {
        byte[] jpeg = TestFrames.jpeg(1);
        camera.frame(jpeg);
        FetchResult.Frame frame = assertInstanceOf(FetchResult.Frame.class, fetcher().fetch(null));
        assertArrayEquals(jpeg, frame.bytes());
        assertEquals("image/jpeg", frame.contentType());
        assertNotNull(frame.etag());
    }

    @Test
    void sameEtagAnswersNotModified() {
        camera.frame(TestFrames.jpeg(2));
        FetchResult.Frame first = assertInstanceOf(FetchResult.Frame.class, fetcher().fetch(null));
        assertInstanceOf(FetchResult.NotModified.class, fetcher.fetch(first.etag()));
        assertEquals(first.etag(), camera.ifNoneMatch.get(1));
        camera.frame(TestFrames.jpeg(3));
        assertInstanceOf(FetchResult.Frame.class, fetcher.fetch(first.etag()), "a new frame has a new ETag");
    }

    @Test
    void serverErrorIsHttp5xx() {
        camera.behave(Behaviour.ERROR_500);
        assertTrue(failure(fetcher().fetch(null), FetchOutcome.HTTP_5XX).detail().contains("500"));
    }

    @Test
    void wrongPathIsHttp4xx() {
        camera.behave(Behaviour.NOT_FOUND);
        assertTrue(failure(fetcher().fetch(null), FetchOutcome.HTTP_4XX).detail().contains("404"));
    }

    @Test
    void hangingResponseTimesOutOnTime() {
        camera.behave(Behaviour.HANG);
        FetchResult.Failure f = failure(fetcher().fetch(null), FetchOutcome.TIMEOUT);
        assertTrue(f.elapsed().compareTo(TIMEOUT.multipliedBy(2)) < 0, "took " + f.elapsed());
    }

    @Test
    void tricklingBodyIsCutAtTheDeadline() {
        // Every read returns within the socket timeout; only the whole-response deadline can end this.
        camera.behave(Behaviour.TRICKLE);
        FetchResult.Failure f = failure(fetcher().fetch(null), FetchOutcome.TIMEOUT);
        assertTrue(f.elapsed().compareTo(TIMEOUT) >= 0, "cut before the deadline: " + f.elapsed());
        assertTrue(f.elapsed().compareTo(TIMEOUT.multipliedBy(2)) < 0, "took " + f.elapsed());
    }

    @Test
    void endlessBodyIsCutAtMaxBytes() {
        camera.behave(Behaviour.ENDLESS);
        FetchResult.Failure f = failure(fetcher().fetch(null), FetchOutcome.TOO_LARGE);
        assertTrue(f.detail().contains(String.valueOf(MAX_BYTES)), f.detail());
        assertTrue(f.elapsed().compareTo(TIMEOUT) < 0, "should stop at max-bytes, not at the timeout: " + f.elapsed());
    }

    @Test
    void declaredHugeBodyIsRefusedUnread() {
        camera.behave(Behaviour.HUGE_DECLARED);
        assertTrue(failure(fetcher().fetch(null), FetchOutcome.TOO_LARGE).detail().contains("announced"));
    }

    @Test
    void garbageWithAnImageTypeIsHandedOnForThePipelineToReject() {
        camera.behave(Behaviour.GARBAGE);
        FetchResult.Frame frame = assertInstanceOf(FetchResult.Frame.class, fetcher().fetch(null));
        assertEquals(4096, frame.bytes().length);
    }

    @Test
    void htmlPageIsNotAnImage() {
        camera.behave(Behaviour.HTML);
        assertTrue(failure(fetcher().fetch(null), FetchOutcome.NOT_IMAGE).detail().contains("text/html"));
    }

    @Test
    void mjpegStreamIsNotASnapshot() {
        camera.behave(Behaviour.MJPEG);
        assertTrue(failure(fetcher().fetch(null), FetchOutcome.NOT_IMAGE).detail().contains("snapshot"));
    }

    @Test
    void basicAuthWithTheRightPassword() {
        camera.requireBasic("operator", "s3cret-Basic").frame(TestFrames.jpeg(4));
        assertInstanceOf(FetchResult.Frame.class, fetcher(camera.uri(), "operator", "s3cret-Basic").fetch(null));
        assertTrue(camera.acceptedSchemes.contains("Basic"));
    }

    @Test
    void basicAuthWithTheWrongPassword() {
        camera.requireBasic("operator", "s3cret-Basic");
        FetchResult.Failure f = failure(fetcher(camera.uri(), "operator", "wrong-pass").fetch(null), FetchOutcome.AUTH_FAILED);
        assertTrue(f.detail().contains("refused the configured credentials"), f.detail());
        assertFalse(f.detail().contains("wrong-pass"));
        assertTrue(camera.acceptedSchemes.isEmpty());
    }

    @Test
    void missingCredentialsSayWhichPropertiesToSet() {
        camera.requireBasic("operator", "s3cret-Basic");
        FetchResult.Failure f = failure(fetcher().fetch(null), FetchOutcome.AUTH_FAILED);
        assertTrue(f.detail().contains("lineside.camera.username"), f.detail());
    }

    @Test
    void digestAuthWithTheRightPassword() {
        camera.requireDigest("admin", "d1gest-Pass").frame(TestFrames.jpeg(5));
        SnapshotFetcher f = fetcher(camera.uri(), "admin", "d1gest-Pass");
        assertInstanceOf(FetchResult.Frame.class, f.fetch(null));
        assertInstanceOf(FetchResult.Frame.class, f.fetch(null), "and again, with the next nonce");
        assertEquals(2, camera.acceptedSchemes.stream().filter("Digest"::equals).count());
    }

    @Test
    void digestAuthWithTheWrongPassword() {
        camera.requireDigest("admin", "d1gest-Pass");
        failure(fetcher(camera.uri(), "admin", "not-it").fetch(null), FetchOutcome.AUTH_FAILED);
        assertTrue(camera.acceptedSchemes.isEmpty());
    }

    @Test
    void credentialsInTheUrlAreUsedAndNeverShown() {
        camera.requireBasic("operator", "url-Secret1").frame(TestFrames.jpeg(6));
        URI withUserInfo = URI.create("http://operator:url-Secret1@127.0.0.1:" + camera.port() + SnapshotServer.PATH);
        SnapshotFetcher f = fetcher(withUserInfo, null, null);
        assertInstanceOf(FetchResult.Frame.class, f.fetch(null));
        assertEquals("http://127.0.0.1:" + camera.port() + SnapshotServer.PATH, f.target().toString());
        camera.behave(Behaviour.HTML);
        assertFalse(failure(f.fetch(null), FetchOutcome.NOT_IMAGE).detail().contains("url-Secret1"));
    }

    @Test
    void redirectLoopEndsClearly() {
        camera.behave(Behaviour.REDIRECT_LOOP);
        FetchResult.Failure f = failure(fetcher().fetch(null), FetchOutcome.REDIRECT_LOOP);
        assertTrue(f.elapsed().compareTo(TIMEOUT) < 0, "took " + f.elapsed());
    }

    @Test
    void aSingleRedirectIsFollowed() {
        camera.behave(Behaviour.REDIRECT_ONCE).frame(TestFrames.jpeg(7));
        assertArrayEquals(TestFrames.jpeg(7), assertInstanceOf(FetchResult.Frame.class, fetcher().fetch(null)).bytes());
    }

    @Test
    void nothingListeningIsRefused() {
        URI gone = camera.uri();
        camera.close();
        failure(fetcher(gone, null, null).fetch(null), FetchOutcome.REFUSED);
    }

    @Test
    void unknownHostIsUnreachable() {
        failure(fetcher(URI.create("http://camera.invalid/snapshot.jpg"), null, null).fetch(null), FetchOutcome.UNREACHABLE);
    }

    @Test
    void fetcherKeepsWorkingAfterEveryFault() {
        SnapshotFetcher f = fetcher();
        for (Behaviour fault : new Behaviour[] {Behaviour.HANG, Behaviour.ENDLESS, Behaviour.TRICKLE, Behaviour.ERROR_500}) {
            camera.behave(fault);
            assertInstanceOf(FetchResult.Failure.class, f.fetch(null), fault.name());
            camera.behave(Behaviour.FRAMES).frame(TestFrames.jpeg(fault.ordinal()));
            assertInstanceOf(FetchResult.Frame.class, f.fetch(null), "after " + fault);
        }
    }
}
