package io.lineside.inspection;

import java.time.Instant;

/** An input that could not be inspected, with the reason; the input itself is kept by its source. */
public record Rejection(
        String id,
        String name,
        String source,
        Instant receivedAt,
        String imageSha256,
        RejectReason reason,
        String detail) implements Outcome {
}
