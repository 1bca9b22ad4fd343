package io.lineside.ingest.camera;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where the snapshots come from and with which credentials. Credentials may be configured
 * separately or embedded in the URL ({@code http://user:pass@cam/snap.jpg}); either way they are
 * taken out of the request URI and only ever shown redacted ({@link #toString()}).
 */
public final class CameraTarget {

    /** Query parameters that cheap cameras use to carry credentials in the URL. */
    private static final Pattern SECRET_QUERY = Pattern.compile(
            "(?i)([?&](?:user|usr|username|login|pass|pwd|passwd|password|token|key|apikey|api_key|secret|auth|sig|signature)=)[^&#]*");
    private static final Pattern USERINFO = Pattern.compile("(?i)([a-z][a-z0-9+.-]*://)[^/@\\s]*@");

    private final URI requestUri;
    private final String username;
    private final char[] password;
    private final String redacted;

    private CameraTarget(URI requestUri, String username, char[] password) {
        this.requestUri = requestUri;
        this.username = username;
        this.password = password;
        this.redacted = redact(requestUri.toString());
    }

    /**
     * @throws IllegalArgumentException with a message fit for a start-up error when the URL cannot be used
     */
    public static CameraTarget of(URI url, Optional<String> username, Optional<String> password) {
        String scheme = url.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
            throw new IllegalArgumentException("lineside.camera.url must be an http:// or https:// URL, got "
                    + redact(url.toString()));
        }
        if (url.getHost() == null || url.getHost().isEmpty()) {
            throw new IllegalArgumentException("lineside.camera.url has no host: " + redact(url.toString()));
        }
        String user = username.filter(s -> !s.isEmpty()).orElse(null);
        String pass = password.orElse(null);
        String userInfo = url.getRawUserInfo();
        if (userInfo != null && user == null) {
            int colon = userInfo.indexOf(':');
            user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
            if (pass == null && colon >= 0) {
                pass = decode(userInfo.substring(colon + 1));
            }
        }
        // Rebuilt from the raw parts so percent-escapes in path and query stay exactly as configured.
        StringBuilder request = new StringBuilder(url.getScheme()).append("://").append(url.getHost());
        if (url.getPort() >= 0) {
            request.append(':').append(url.getPort());
        }
        String path = url.getRawPath();
        request.append(path == null || path.isEmpty() ? "/" : path);
        if (url.getRawQuery() != null) {
            request.append('?').append(url.getRawQuery());
        }
        URI requestUri;
        try {
            requestUri = new URI(request.toString());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("lineside.camera.url is not usable: " + redact(url.toString()));
        }
        return new CameraTarget(requestUri, user, user == null ? null : (pass == null ? new char[0] : pass.toCharArray()));
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    /** The URI requested, without user info (it may still carry secrets in its query: never log it). */
    URI requestUri() {
        return requestUri;
    }

    Optional<String> username() {
        return Optional.ofNullable(username);
    }

    char[] password() {
        return password == null ? null : password.clone();
    }

    boolean hasCredentials() {
        return username != null;
    }

    /** Removes credentials from text that may echo the URL or the password (exception messages). */
    String scrub(String text) {
        if (text == null) {
            return null;
        }
        String out = redact(text);
        if (password != null && password.length >= 3) {
            out = out.replace(new String(password), "***");
        }
        if (!requestUri.toString().equals(redacted)) {
            out = out.replace(requestUri.toString(), redacted);
        }
        return out;
    }

    /** Replaces user info and credential-like query values in any URL-bearing text by {@code ***}. */
    public static String redact(String text) {
        if (text == null) {
            return null;
        }
        String out = USERINFO.matcher(text).replaceAll("$1***@");
        return SECRET_QUERY.matcher(out).replaceAll("$1***");
    }

    /** The URL, safe to log and show. */
    @Override
    public String toString() {
        return redacted;
    }
}
