package io.lineside.scoring;

import io.lineside.inspection.RejectReason;

/** An input that cannot be inspected; the reason becomes the rejection's label, the message its detail. */
public final class ImageRejectedException extends Exception {
    private final RejectReason reason;

    public ImageRejectedException(RejectReason reason, String detail) {
        super(detail);
        this.reason = reason;
    }

    public ImageRejectedException(RejectReason reason, String detail, Throwable cause) {
        super(detail, cause);
        this.reason = reason;
    }

    public RejectReason reason() {
        return reason;
    }
}
