package io.lineside.ingest.camera;

/** A triggered grab found no frame to inspect; the detail is safe to show (no credentials). */
public final class CameraFetchException extends RuntimeException {

    private final FetchOutcome outcome;

    public CameraFetchException(FetchOutcome outcome, String detail) {
        super(detail, null, false, false);
        this.outcome = outcome;
    }

    public FetchOutcome outcome() {
        return outcome;
    }
}
