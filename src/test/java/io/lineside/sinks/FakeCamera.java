package io.lineside.sinks;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP snapshot camera on a free loopback port serving one frame (a DEFECT part, so a
 * triggered inspection is recognisable), counting the snapshots taken.
 */
public final class FakeCamera implements AutoCloseable {

    public static final String NAME = "line-cam";

    private final HttpServer server;
    private final AtomicInteger snapshots = new AtomicInteger();
    private final byte[] frame = SinkScene.defect();

    private FakeCamera(HttpServer server) {
        this.server = server;
    }

    public static FakeCamera start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        FakeCamera camera = new FakeCamera(server);
        server.createContext("/snapshot.png", ex -> {
            camera.snapshots.incrementAndGet();
            ex.getResponseHeaders().add("Content-Type", "image/png");
            ex.sendResponseHeaders(200, camera.frame.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(camera.frame);
            }
        });
        server.start();
        return camera;
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/snapshot.png";
    }

    public int snapshots() {
        return snapshots.get();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
