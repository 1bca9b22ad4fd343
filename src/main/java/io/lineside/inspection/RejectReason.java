package io.lineside.inspection;

/**
 * Why an input could not be inspected. {@link #label()} is the value of the {@code reason}
 * label on {@code lineside_rejected_total} and in journal records.
 */
public enum RejectReason {
    /** Zero bytes. */
    EMPTY("empty", 415),
    /** More bytes than {@code lineside.limits.max-bytes}. */
    TOO_LARGE("too-large", 413),
    /** The header declares more pixels than {@code lineside.limits.max-pixels}. */
    TOO_MANY_PIXELS("too-many-pixels", 413),
    /** Not an image format lineside reads. */
    NOT_AN_IMAGE("not-an-image", 415),
    /** A known format but a variant lineside refuses rather than mis-score (e.g. CMYK JPEG). */
    UNSUPPORTED("unsupported", 415),
    /** A known format that failed to decode (truncated, corrupt). */
    CORRUPT("corrupt", 415),
    /** A readable image that does not contain the whole region of interest (lineside.roi / the model's lineside.input.roi). */
    ROI_OUTSIDE_IMAGE("roi-outside-image", 422);

    private final String label;
    private final int httpStatus;

    RejectReason(String label, int httpStatus) {
        this.label = label;
        this.httpStatus = httpStatus;
    }

    public String label() {
        return label;
    }

    public int httpStatus() {
        return httpStatus;
    }
}
