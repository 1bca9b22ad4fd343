package io.lineside.ingest.camera;

import com.fasterxml.jackson.annotation.JsonValue;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * What one snapshot request came to. {@link #label()} is the {@code outcome} label of
 * {@code lineside_camera_fetch_total}; the set is fixed so dashboards and alerts can rely on it.
 */
@Schema(type = SchemaType.STRING, enumeration = {"ok", "unchanged", "timeout", "refused", "unreachable", "auth_failed",
        "http_4xx", "http_5xx", "too_large", "redirect_loop", "not_image", "error"})
public enum FetchOutcome {
    /** A body arrived that may be an image; it was handed to the inspection pipeline. */
    OK("ok", true),
    /** The camera's frame had not changed (HTTP 304 for our ETag, or the same content hash). */
    UNCHANGED("unchanged", true),
    /** No complete answer within {@code lineside.camera.timeout}: slow connect, hanging or trickling response. */
    TIMEOUT("timeout", false),
    /** Nothing listens at the camera's address and port (connection refused). */
    REFUSED("refused", false),
    /** The camera's host name does not resolve or there is no route to it. */
    UNREACHABLE("unreachable", false),
    /** HTTP 401/403: credentials missing, wrong, or not allowed. */
    AUTH_FAILED("auth_failed", false),
    /** Another HTTP 4xx, e.g. 404 for a wrong snapshot path. */
    HTTP_4XX("http_4xx", false),
    /** HTTP 5xx: the camera failed to produce a frame. */
    HTTP_5XX("http_5xx", false),
    /** The body exceeded {@code lineside.camera.max-bytes} (or declared it would); it was cut off. */
    TOO_LARGE("too_large", false),
    /** Redirects went round in a circle or past the limit. */
    REDIRECT_LOOP("redirect_loop", false),
    /** The camera answered with something that is plainly not a snapshot (an HTML page, JSON, an MJPEG stream). */
    NOT_IMAGE("not_image", false),
    /** Anything else: connection reset, a malformed response, a TLS failure. */
    ERROR("error", false);

    private final String label;
    private final boolean success;

    FetchOutcome(String label, boolean success) {
        this.label = label;
        this.success = success;
    }

    @JsonValue
    public String label() {
        return label;
    }

    /** Whether the camera answered as a working camera should (it counts as up). */
    public boolean success() {
        return success;
    }
}
