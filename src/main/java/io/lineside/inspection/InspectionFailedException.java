package io.lineside.inspection;

/**
 * The appliance could not finish an inspection for a reason that is not the input's fault
 * (inference error, journal unavailable, interrupted). Nothing was committed or announced:
 * the source keeps its input and may retry.
 */
public final class InspectionFailedException extends RuntimeException {
    public InspectionFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
