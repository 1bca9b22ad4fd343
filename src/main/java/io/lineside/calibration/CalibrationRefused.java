package io.lineside.calibration;

/**
 * A calibration request that cannot be carried out as asked; maps to an HTTP status and the JSON
 * {@code {error, detail}} body. Nothing has been changed when it is thrown.
 */
public class CalibrationRefused extends RuntimeException {

    private final int status;
    private final String error;

    public CalibrationRefused(int status, String error, String detail) {
        super(detail);
        this.status = status;
        this.error = error;
    }

    public int status() {
        return status;
    }

    /** Short machine-readable code, e.g. {@code too-few-images}, {@code path-outside-root}. */
    public String error() {
        return error;
    }

    public String detail() {
        return getMessage();
    }
}
