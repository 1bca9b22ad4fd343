package io.lineside.model.lifecycle;

import java.util.Locale;

/**
 * How an attempt to change the model in service ended; the {@code outcome} label of
 * {@code lineside_model_reload_total}.
 */
public enum ReloadOutcome {
    /** A new model (from the watched file or {@code PUT /api/v1/model}) passed validation and is in service. */
    SUCCESS,
    /** The new model failed validation (contract, ONNX Runtime, warm-up inference); the old one keeps serving. */
    INVALID,
    /** {@code POST /api/v1/model/rollback} put the previous model back in service. */
    ROLLBACK,
    /** The new model could not be read or loaded for a reason outside the model itself (I/O); the old one keeps serving. */
    ERROR;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
