package io.lineside.model.lifecycle;

/** A model change that was refused or could not be made; the model in service is unchanged. */
public class ModelRefused extends RuntimeException {

    private final int status;
    private final String error;
    private final ReloadReport report;

    public ModelRefused(int status, String error, String detail, ReloadReport report) {
        super(detail);
        this.status = status;
        this.error = error;
        this.report = report;
    }

    public int status() {
        return status;
    }

    public String error() {
        return error;
    }

    /** The refusal as recorded for {@code lastReload}; null when nothing was attempted. */
    public ReloadReport report() {
        return report;
    }
}
