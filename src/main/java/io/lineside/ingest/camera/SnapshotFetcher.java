package io.lineside.ingest.camera;

import org.apache.hc.client5.http.ClientProtocolException;
import org.apache.hc.client5.http.HttpRequestRetryStrategy;
import org.apache.hc.client5.http.RedirectException;
import org.apache.hc.client5.http.auth.AuthScope;
import org.apache.hc.client5.http.auth.UsernamePasswordCredentials;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.auth.CredentialsProviderBuilder;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.NoHttpResponseException;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Fetches one snapshot over HTTP with Apache HttpClient 5, which answers Basic and Digest
 * challenges itself. Every fetch ends within {@code timeout} (a watchdog cancels the exchange,
 * so a trickling or endless body cannot hold it), reads at most {@code maxBytes}, follows at most
 * {@link #MAX_REDIRECTS} redirects, and ends in exactly one {@link FetchOutcome}. Never throws.
 */
public final class SnapshotFetcher implements AutoCloseable {

    /** Cameras redirect at most once or twice (to a login-free path, to https); more is a loop. */
    public static final int MAX_REDIRECTS = 5;

    private final CameraTarget target;
    private final Duration timeout;
    private final long maxBytes;
    private final CloseableHttpClient client;
    private final ScheduledExecutorService watchdog;

    public SnapshotFetcher(CameraTarget target, Duration timeout, long maxBytes) {
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("lineside.camera.timeout must be positive, got " + timeout);
        }
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("lineside.camera.max-bytes must be positive, got " + maxBytes);
        }
        this.target = target;
        this.timeout = timeout;
        this.maxBytes = maxBytes;
        Timeout t = Timeout.of(timeout);
        var connections = PoolingHttpClientConnectionManagerBuilder.create()
                .setDefaultConnectionConfig(ConnectionConfig.custom().setConnectTimeout(t).setSocketTimeout(t).build())
                // The poller and a trigger may fetch at the same moment; a camera needs no more.
                .setMaxConnTotal(2)
                .setMaxConnPerRoute(2)
                .build();
        var builder = HttpClients.custom()
                .setConnectionManager(connections)
                .setDefaultRequestConfig(RequestConfig.custom()
                        .setConnectionRequestTimeout(t)
                        .setResponseTimeout(t)
                        .setRedirectsEnabled(true)
                        .setMaxRedirects(MAX_REDIRECTS)
                        .setCircularRedirectsAllowed(false)
                        .build())
                // Retrying is the poller's job (with backoff); the one exception is a kept-alive
                // connection the camera closed meanwhile, which says nothing about the camera.
                .setRetryStrategy(new StaleConnectionRetry())
                // The bytes counted against max-bytes are the bytes on the wire, and are the image.
                .disableContentCompression()
                .disableCookieManagement()
                .setUserAgent("lineside-camera");
        if (target.hasCredentials()) {
            // Scoped to the camera's host: a redirect elsewhere never receives the credentials.
            builder.setDefaultCredentialsProvider(CredentialsProviderBuilder.create()
                    .add(new AuthScope(target.requestUri().getHost(), -1), new UsernamePasswordCredentials(target.username().orElseThrow(), target.password()))
                    .build());
        }
        this.client = builder.build();
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "lineside-camera-deadline");
            thread.setDaemon(true);
            return thread;
        });
    }

    public CameraTarget target() {
        return target;
    }

    /**
     * @param ifNoneMatch the ETag of the frame already inspected, or null to ask for the frame unconditionally
     */
    public FetchResult fetch(String ifNoneMatch) {
        long start = System.nanoTime();
        HttpGet get = new HttpGet(target.requestUri());
        get.setHeader(HttpHeaders.ACCEPT, "image/jpeg, image/png, image/bmp, image/*;q=0.8, */*;q=0.1");
        if (ifNoneMatch != null) {
            get.setHeader(HttpHeaders.IF_NONE_MATCH, ifNoneMatch);
        }
        AtomicBoolean deadlinePassed = new AtomicBoolean();
        ScheduledFuture<?> deadline;
        try {
            deadline = watchdog.schedule(() -> {
                deadlinePassed.set(true);
                get.cancel();
            }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            return failure(FetchOutcome.ERROR, "the camera source is shut down", start);
        }
        try {
            ClassicHttpResponse response = client.executeOpen(null, get, HttpClientContext.create());
            try {
                return read(response, get, start);
            } finally {
                closeQuietly(response);
            }
        } catch (IOException | RuntimeException e) {
            return classify(e, deadlinePassed.get(), start);
        } finally {
            deadline.cancel(false);
        }
    }

    private FetchResult read(ClassicHttpResponse response, HttpGet get, long start) throws IOException {
        int status = response.getCode();
        boolean bodyRead = false;
        try {
            if (status == 304) {
                return new FetchResult.NotModified(since(start));
            }
            if (status == 401 || status == 403 || status == 407) {
                return failure(FetchOutcome.AUTH_FAILED, authDetail(response, status), start);
            }
            if (status >= 500) {
                return failure(FetchOutcome.HTTP_5XX, "camera answered HTTP " + status + reason(response), start);
            }
            if (status >= 400) {
                return failure(FetchOutcome.HTTP_4XX, "camera answered HTTP " + status + reason(response), start);
            }
            if (status >= 300) {
                return failure(FetchOutcome.ERROR, "camera answered HTTP " + status + " without a usable Location", start);
            }
            String contentType = header(response, HttpHeaders.CONTENT_TYPE);
            String notImage = notImageReason(contentType);
            if (notImage != null) {
                return failure(FetchOutcome.NOT_IMAGE, notImage, start);
            }
            HttpEntity entity = response.getEntity();
            if (entity == null) {
                bodyRead = true;
                return new FetchResult.Frame(new byte[0], contentType, header(response, HttpHeaders.ETAG), since(start));
            }
            long declared = entity.getContentLength();
            if (declared > maxBytes) {
                return failure(FetchOutcome.TOO_LARGE,
                        "camera announced " + declared + " bytes, more than lineside.camera.max-bytes=" + maxBytes, start);
            }
            ByteArrayOutputStream body = new ByteArrayOutputStream(declared > 0 ? (int) declared : 256 * 1024);
            byte[] buffer = new byte[64 * 1024];
            // Not try-with-resources: closing the stream drains the rest, so a cut-off body must be cancelled first.
            InputStream in = entity.getContent();
            int n;
            while ((n = in.read(buffer)) >= 0) {
                if (body.size() + (long) n > maxBytes) {
                    return failure(FetchOutcome.TOO_LARGE,
                            "body cut off after " + maxBytes + " bytes (lineside.camera.max-bytes)", start);
                }
                body.write(buffer, 0, n);
            }
            bodyRead = true;
            in.close();
            return new FetchResult.Frame(body.toByteArray(), contentType, header(response, HttpHeaders.ETAG), since(start));
        } finally {
            if (!bodyRead) {
                // Closing a half-read body would drain it (forever, for an endless one): drop the connection instead.
                get.cancel();
            }
        }
    }

    /** Content types that no camera serves as a snapshot: an error page, an API answer, a live stream. */
    static String notImageReason(String contentType) {
        if (contentType == null) {
            return null;
        }
        String type = contentType.toLowerCase(Locale.ROOT).split(";", 2)[0].trim();
        if (type.startsWith("multipart/")) {
            return "camera sent a " + type + " stream, not a snapshot; point lineside.camera.url at the camera's single-frame (snapshot) URL";
        }
        if (type.startsWith("text/") || type.endsWith("+xml") || type.endsWith("/xml") || type.endsWith("/json")
                || type.endsWith("+json") || type.equals("application/xhtml+xml") || type.startsWith("video/")
                || type.startsWith("audio/")) {
            return "camera sent " + type + ", not an image (an error or login page?)";
        }
        return null;
    }

    private String authDetail(ClassicHttpResponse response, int status) {
        Header challenge = response.getFirstHeader(status == 407 ? HttpHeaders.PROXY_AUTHENTICATE : HttpHeaders.WWW_AUTHENTICATE);
        String scheme = challenge == null ? "" : challenge.getValue().trim().split("\\s+", 2)[0];
        if (status == 403) {
            return "camera answered HTTP 403 Forbidden: the user is not allowed to read snapshots";
        }
        if (!target.hasCredentials()) {
            return "camera asks for " + (scheme.isEmpty() ? "authentication" : scheme + " authentication")
                    + " (HTTP " + status + "); set lineside.camera.username and lineside.camera.password";
        }
        return "camera refused the configured credentials (HTTP " + status
                + (scheme.isEmpty() ? "" : ", " + scheme) + ")";
    }

    private FetchResult classify(Exception e, boolean deadlinePassed, long start) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            // Name resolution is not cancellable, so it may end after the deadline: report what it found.
            if (c instanceof UnknownHostException) {
                return failure(FetchOutcome.UNREACHABLE, "camera host does not resolve: " + message(c), start);
            }
            if (c instanceof NoRouteToHostException) {
                return failure(FetchOutcome.UNREACHABLE, "no route to the camera: " + message(c), start);
            }
        }
        if (deadlinePassed) {
            return failure(FetchOutcome.TIMEOUT, "no complete frame within " + timeout.toMillis() + " ms (lineside.camera.timeout)", start);
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof RedirectException) {
                return failure(FetchOutcome.REDIRECT_LOOP, "redirects loop or exceed " + MAX_REDIRECTS + ": " + message(c), start);
            }
            if (c instanceof ConnectException) {
                return failure(FetchOutcome.REFUSED, "camera refused the connection: " + message(c), start);
            }
            if (c instanceof InterruptedIOException) {
                // SocketTimeoutException and ConnectTimeoutException are both InterruptedIOExceptions.
                return failure(FetchOutcome.TIMEOUT, "camera did not answer within " + timeout.toMillis() + " ms: " + message(c), start);
            }
        }
        String what = e instanceof ClientProtocolException ? "malformed answer from the camera" : "camera connection failed";
        return failure(FetchOutcome.ERROR, what + ": " + message(e), start);
    }

    private String message(Throwable t) {
        String m = t.getMessage();
        return target.scrub(t.getClass().getSimpleName() + (m == null ? "" : " " + m));
    }

    private FetchResult failure(FetchOutcome outcome, String detail, long start) {
        return new FetchResult.Failure(outcome, target.scrub(detail), since(start));
    }

    private static String reason(ClassicHttpResponse response) {
        String phrase = response.getReasonPhrase();
        return phrase == null || phrase.isBlank() ? "" : " " + phrase;
    }

    private static String header(ClassicHttpResponse response, String name) {
        Header h = response.getFirstHeader(name);
        return h == null ? null : h.getValue();
    }

    private static Duration since(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }

    private static void closeQuietly(ClassicHttpResponse response) {
        try {
            response.close();
        } catch (IOException | RuntimeException ignored) {
            // The connection was already dropped; nothing left to release.
        }
    }

    /** Retries once, at once, only when a reused connection turned out to be closed by the camera. */
    private static final class StaleConnectionRetry implements HttpRequestRetryStrategy {
        @Override
        public boolean retryRequest(HttpRequest request, IOException exception, int execCount, HttpContext context) {
            return execCount <= 1 && exception instanceof NoHttpResponseException;
        }

        @Override
        public boolean retryRequest(HttpResponse response, int execCount, HttpContext context) {
            return false;
        }

        @Override
        public TimeValue getRetryInterval(HttpResponse response, int execCount, HttpContext context) {
            return TimeValue.ZERO_MILLISECONDS;
        }
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
        client.close(CloseMode.IMMEDIATE);
    }
}
