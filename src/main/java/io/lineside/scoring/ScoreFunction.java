package io.lineside.scoring;

import java.util.Arrays;
import java.util.Optional;

/** The score functions of the model contract (training/CONTRACT.md), by their metadata names. */
public enum ScoreFunction {
    /** Population standard deviation of the residual (the original method). */
    STD("std"),
    /** Mean squared residual. */
    MSE("mse"),
    /** Maximum of the Gaussian-smoothed, channel-averaged absolute residual. */
    MAX_BLUR("max-blur"),
    /**
     * The 99.9th percentile (nearest rank) of the per-pixel SSIM dissimilarity 1 - SSIM: robust to the
     * brightness and contrast of a part, sensitive to lost or new structure.
     */
    SSIM("ssim");

    private final String metadataName;

    ScoreFunction(String metadataName) {
        this.metadataName = metadataName;
    }

    /** The name used in {@code lineside.score} and in golden vectors. */
    public String metadataName() {
        return metadataName;
    }

    public static Optional<ScoreFunction> byName(String name) {
        return Arrays.stream(values()).filter(f -> f.metadataName.equals(name)).findFirst();
    }
}
