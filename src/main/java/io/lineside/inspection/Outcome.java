package io.lineside.inspection;

import java.time.Instant;

/** What the pipeline made of one {@link ImageInput}: an {@link Inspection} or a {@link Rejection}. */
public sealed interface Outcome permits Inspection, Rejection {
    String id();

    String name();

    String source();

    Instant receivedAt();

    /** sha256 of the input bytes, hex; null for a rejection whose input was not read in full (over the size limit). */
    String imageSha256();
}
