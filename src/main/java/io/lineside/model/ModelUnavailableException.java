package io.lineside.model;

/** No model is loaded (yet, or it failed to load): inspections cannot run; sources keep their input. */
public final class ModelUnavailableException extends RuntimeException {
    public ModelUnavailableException(String message) {
        super(message);
    }
}
