package io.lineside.ingest.camera;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CameraTargetTest {

    @Test
    void userInfoBecomesCredentialsAndLeavesTheRequestUri() {
        CameraTarget t = CameraTarget.of(URI.create("http://admin:p%40ss@cam.line3:8080/snap.jpg?ch=1"), Optional.empty(), Optional.empty());
        assertEquals("http://cam.line3:8080/snap.jpg?ch=1", t.requestUri().toString());
        assertEquals(Optional.of("admin"), t.username());
        assertArrayEquals("p@ss".toCharArray(), t.password());
    }

    @Test
    void configuredCredentialsWinOverUserInfo() {
        CameraTarget t = CameraTarget.of(URI.create("http://a:b@cam/snap.jpg"), Optional.of("op"), Optional.of("pw"));
        assertEquals(Optional.of("op"), t.username());
        assertArrayEquals("pw".toCharArray(), t.password());
    }

    @Test
    void secretQueryParametersAreRedacted() {
        CameraTarget t = CameraTarget.of(URI.create("http://cam/cgi-bin/CGIProxy.fcgi?cmd=snapPicture2&usr=admin&pwd=hunter22"),
                Optional.empty(), Optional.empty());
        assertEquals("http://cam/cgi-bin/CGIProxy.fcgi?cmd=snapPicture2&usr=***&pwd=***", t.toString());
        assertFalse(t.scrub("failed on " + t.requestUri()).contains("hunter22"));
    }

    @Test
    void redactHandlesUserInfoInAnyText() {
        assertEquals("Circular redirect to 'http://***@cam/x'", CameraTarget.redact("Circular redirect to 'http://u:p@cam/x'"));
    }

    @Test
    void scrubRemovesThePasswordWhereverItAppears() {
        CameraTarget t = CameraTarget.of(URI.create("http://cam/snap.jpg"), Optional.of("op"), Optional.of("Zebra-42"));
        assertTrue(t.scrub("server said: bad password Zebra-42").endsWith("bad password ***"));
    }

    @Test
    void nonHttpUrlsAreRefusedWithTheProperty() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CameraTarget.of(URI.create("rtsp://u:secret@cam/stream"), Optional.empty(), Optional.empty()));
        assertTrue(e.getMessage().contains("lineside.camera.url"));
        assertFalse(e.getMessage().contains("secret"));
    }
}
