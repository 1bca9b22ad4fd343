package io.lineside.ingest.camera;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.List;

/**
 * A real HTTP camera for tests (JDK HttpServer on a free port): serves a snapshot at
 * {@code /snapshot.jpg} with an ETag, and can be switched into each fault a line camera shows.
 * It checks Basic and Digest (RFC 7616, MD5, qop=auth) credentials itself.
 */
public final class SnapshotServer implements AutoCloseable {

    enum Behaviour {
        /** 200 with the current frame, its ETag, 304 for a matching If-None-Match. */
        FRAMES,
        /** 200 with the current frame but no ETag (skip-unchanged must fall back to the hash). */
        FRAMES_NO_ETAG,
        ERROR_500,
        NOT_FOUND,
        /** Accepts the request and never answers. */
        HANG,
        /** Headers at once, then one byte every 50 ms, forever: each read is quick, the whole is endless. */
        TRICKLE,
        /** Streams chunks as fast as it can until the client goes away. */
        ENDLESS,
        /** Declares a Content-Length far above any sane snapshot. */
        HUGE_DECLARED,
        /** 200 image/jpeg whose body is random bytes. */
        GARBAGE,
        /** 200 text/html: a camera's error or login page. */
        HTML,
        /** multipart/x-mixed-replace: the camera's MJPEG stream instead of its snapshot URL. */
        MJPEG,
        /** 302 to /loop/a, which redirects to /loop/b, which redirects back to /loop/a. */
        REDIRECT_LOOP,
        /** 302 to /frame, which serves the frame. */
        REDIRECT_ONCE
    }

    enum Auth { NONE, BASIC, DIGEST }

    static final String PATH = "/snapshot.jpg";
    private static final String REALM = "lineside-test-camera";

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "snapshot-server");
        t.setDaemon(true);
        return t;
    });
    private final CountDownLatch closing = new CountDownLatch(1);
    private final Set<String> issuedNonces = ConcurrentHashMap.newKeySet();

    private volatile Behaviour behaviour = Behaviour.FRAMES;
    private volatile byte[] frame = new byte[] {1};
    private volatile Auth auth = Auth.NONE;
    private volatile String user;
    private volatile String password;

    final AtomicInteger snapshotRequests = new AtomicInteger();
    /** Authorization schemes the server accepted, in order. */
    final List<String> acceptedSchemes = new CopyOnWriteArrayList<>();
    /** If-None-Match headers received (null when absent), in order. */
    final List<String> ifNoneMatch = new CopyOnWriteArrayList<>();

    private SnapshotServer(InetSocketAddress address) throws IOException {
        server = HttpServer.create(address, 16);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** On a free port. */
    public static SnapshotServer start() throws IOException {
        return new SnapshotServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    /** On the port a stopped server used, so the camera "comes back" at the same URL. */
    static SnapshotServer restartOn(int port) throws IOException {
        IOException last = null;
        for (int i = 0; i < 50; i++) {
            try {
                return new SnapshotServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            } catch (java.net.BindException e) {
                last = e;
                sleep(100);
            }
        }
        throw last;
    }

    int port() {
        return server.getAddress().getPort();
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + port() + PATH);
    }

    SnapshotServer behave(Behaviour b) {
        behaviour = b;
        return this;
    }

    public SnapshotServer frame(byte[] bytes) {
        frame = bytes.clone();
        return this;
    }

    SnapshotServer requireBasic(String user, String password) {
        this.auth = Auth.BASIC;
        this.user = user;
        this.password = password;
        return this;
    }

    SnapshotServer requireDigest(String user, String password) {
        this.auth = Auth.DIGEST;
        this.user = user;
        this.password = password;
        return this;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            if (path.equals(PATH)) {
                snapshotRequests.incrementAndGet();
                ifNoneMatch.add(ex.getRequestHeaders().getFirst("If-None-Match"));
            }
            if (!authorised(ex)) {
                return;
            }
            Behaviour b = behaviour;
            if (path.startsWith("/loop/")) {
                redirect(ex, path.equals("/loop/a") ? "/loop/b" : "/loop/a");
                return;
            }
            if (path.equals("/frame")) {
                sendFrame(ex, true);
                return;
            }
            switch (b) {
                case FRAMES -> sendFrame(ex, true);
                case FRAMES_NO_ETAG -> sendFrame(ex, false);
                case ERROR_500 -> sendText(ex, 500, "text/plain", "sensor fault");
                case NOT_FOUND -> sendText(ex, 404, "text/html", "<html><body>Not found</body></html>");
                case HANG -> closing.await(60, TimeUnit.SECONDS);
                case TRICKLE -> {
                    ex.getResponseHeaders().set("Content-Type", "image/jpeg");
                    ex.sendResponseHeaders(200, 0);
                    OutputStream out = ex.getResponseBody();
                    while (!closing.await(50, TimeUnit.MILLISECONDS)) {
                        out.write(0xFF);
                        out.flush();
                    }
                }
                case ENDLESS -> {
                    ex.getResponseHeaders().set("Content-Type", "image/jpeg");
                    ex.sendResponseHeaders(200, 0);
                    OutputStream out = ex.getResponseBody();
                    byte[] chunk = new byte[32 * 1024];
                    while (closing.getCount() > 0) {
                        out.write(chunk);
                    }
                }
                case HUGE_DECLARED -> {
                    ex.getResponseHeaders().set("Content-Type", "image/jpeg");
                    ex.sendResponseHeaders(200, 10L * 1024 * 1024 * 1024);
                    ex.getResponseBody().write(new byte[1024]);
                }
                case GARBAGE -> {
                    byte[] junk = new byte[4096];
                    new Random(7).nextBytes(junk);
                    ex.getResponseHeaders().set("Content-Type", "image/jpeg");
                    ex.sendResponseHeaders(200, junk.length);
                    ex.getResponseBody().write(junk);
                }
                case HTML -> sendText(ex, 200, "text/html; charset=utf-8", "<html><body>Please log in</body></html>");
                case MJPEG -> sendText(ex, 200, "multipart/x-mixed-replace; boundary=frame", "--frame\r\n");
                case REDIRECT_LOOP -> redirect(ex, "/loop/a");
                case REDIRECT_ONCE -> redirect(ex, "/frame");
            }
        } catch (IOException e) {
            // The client went away (a cut-off body): that is the point of several behaviours.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void sendFrame(HttpExchange ex, boolean withEtag) throws IOException {
        byte[] body = frame;
        if (withEtag) {
            String etag = '"' + HexFormat.of().formatHex(sha256(body), 0, 8) + '"';
            ex.getResponseHeaders().set("ETag", etag);
            if (etag.equals(ex.getRequestHeaders().getFirst("If-None-Match"))) {
                ex.sendResponseHeaders(304, -1);
                return;
            }
        }
        ex.getResponseHeaders().set("Content-Type", "image/jpeg");
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body);
    }

    private static void sendText(HttpExchange ex, int status, String type, String text) throws IOException {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, body.length);
        ex.getResponseBody().write(body);
    }

    private static void redirect(HttpExchange ex, String location) throws IOException {
        ex.getResponseHeaders().set("Location", location);
        ex.sendResponseHeaders(302, -1);
    }

    private boolean authorised(HttpExchange ex) throws IOException {
        String header = ex.getRequestHeaders().getFirst("Authorization");
        switch (auth) {
            case NONE -> {
                return true;
            }
            case BASIC -> {
                String expected = "Basic " + java.util.Base64.getEncoder()
                        .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
                if (expected.equals(header)) {
                    acceptedSchemes.add("Basic");
                    return true;
                }
                ex.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"" + REALM + "\"");
            }
            case DIGEST -> {
                if (header != null && header.startsWith("Digest ") && digestValid(ex, header.substring(7))) {
                    acceptedSchemes.add("Digest");
                    return true;
                }
                String nonce = UUID.randomUUID().toString().replace("-", "");
                issuedNonces.add(nonce);
                ex.getResponseHeaders().set("WWW-Authenticate", "Digest realm=\"" + REALM
                        + "\", qop=\"auth\", algorithm=MD5, nonce=\"" + nonce + "\", opaque=\"0123abcd\"");
            }
        }
        ex.sendResponseHeaders(401, -1);
        return false;
    }

    /** RFC 7616 with MD5 and qop=auth: response = MD5(HA1:nonce:nc:cnonce:qop:HA2). */
    private boolean digestValid(HttpExchange ex, String params) {
        Map<String, String> p = parseDigest(params);
        if (!user.equals(p.get("username")) || !REALM.equals(p.get("realm")) || !issuedNonces.contains(p.get("nonce"))) {
            return false;
        }
        if (p.get("algorithm") != null && !p.get("algorithm").equalsIgnoreCase("MD5")) {
            return false;
        }
        String uri = p.get("uri");
        if (uri == null || !uri.equals(ex.getRequestURI().toString())) {
            return false;
        }
        String ha1 = md5(user + ":" + REALM + ":" + password);
        String ha2 = md5(ex.getRequestMethod() + ":" + uri);
        String expected = md5(ha1 + ":" + p.get("nonce") + ":" + p.get("nc") + ":" + p.get("cnonce") + ":" + p.get("qop") + ":" + ha2);
        return expected.equalsIgnoreCase(p.get("response")) && "auth".equals(p.get("qop"));
    }

    private static Map<String, String> parseDigest(String params) {
        Map<String, String> out = new LinkedHashMap<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\w+)\\s*=\\s*(\"([^\"]*)\"|([^,\\s]*))").matcher(params);
        while (m.find()) {
            out.put(m.group(1).toLowerCase(), m.group(3) != null ? m.group(3) : m.group(4));
        }
        return out;
    }

    private static String md5(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closing.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
