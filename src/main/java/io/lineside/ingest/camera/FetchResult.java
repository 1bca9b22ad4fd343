package io.lineside.ingest.camera;

import java.time.Duration;

/** The result of one snapshot request: a frame, "not modified", or a classified failure. */
public sealed interface FetchResult {

    FetchOutcome outcome();

    /** Wall time of the request, including authentication round trips and redirects. */
    Duration elapsed();

    /** A complete body within the limits; whether it decodes is for the pipeline to say. */
    record Frame(byte[] bytes, String contentType, String etag, Duration elapsed) implements FetchResult {
        @Override
        public FetchOutcome outcome() {
            return FetchOutcome.OK;
        }
    }

    /** HTTP 304 for the ETag we sent: the camera's frame is the one we already inspected. */
    record NotModified(Duration elapsed) implements FetchResult {
        @Override
        public FetchOutcome outcome() {
            return FetchOutcome.UNCHANGED;
        }
    }

    /** No usable frame; {@code detail} is for people and never contains credentials. */
    record Failure(FetchOutcome outcome, String detail, Duration elapsed) implements FetchResult {
    }
}
