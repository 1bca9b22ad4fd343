package io.lineside.model;

/** Where the threshold in force came from. */
public enum ThresholdSource {
    /** {@code lineside.threshold} in the model's metadata. */
    MODEL,
    /** The {@code lineside.threshold} configuration property. */
    CONFIG,
    /** A recalibration applied on the box. */
    CALIBRATION
}
