package io.lineside.ingest.camera;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * Starts a real HTTP camera (with Digest authentication) before Quarkus, and points
 * {@code lineside.camera.*} at it. The server is shared with the tests through {@link #camera()}.
 */
public class CameraTestResource implements QuarkusTestResourceLifecycleManager {

    static final String CAMERA_NAME = "test-cam";
    static final String USER = "line-operator";
    /** Distinctive, so a leak into logs, metrics or API output is caught by a plain search. */
    static final String PASSWORD = "Cam3ra-Secret-Xq7";

    private static volatile SnapshotServer camera;

    static SnapshotServer camera() {
        return camera;
    }

    @Override
    public Map<String, String> start() {
        try {
            camera = SnapshotServer.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        camera.requireDigest(USER, PASSWORD).frame(TestFrames.jpeg(0));
        return Map.of(
                "lineside.camera.url", camera.uri().toString(),
                "lineside.camera.name", CAMERA_NAME,
                "lineside.camera.username", USER,
                "lineside.camera.password", PASSWORD,
                "lineside.camera.interval", "150ms",
                "lineside.camera.timeout", "800ms",
                "lineside.camera.max-backoff", "600ms");
    }

    @Override
    public void stop() {
        if (camera != null) {
            camera.close();
        }
    }
}
