package io.lineside.inspection;

import java.time.Instant;

/** A scored image and its verdict. */
public record Inspection(
        String id,
        String name,
        String source,
        Instant receivedAt,
        String imageSha256,
        Verdict verdict,
        double score,
        double threshold,
        ModelIdentity model,
        Timings timings) implements Outcome {
}
