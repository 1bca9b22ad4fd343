package io.lineside.model;

/** A model that does not meet the contract (training/CONTRACT.md); the message names the problem. */
public final class ModelValidationException extends Exception {
    public ModelValidationException(String message) {
        super(message);
    }

    public ModelValidationException(String message, Throwable cause) {
        super(message, cause);
    }
}
