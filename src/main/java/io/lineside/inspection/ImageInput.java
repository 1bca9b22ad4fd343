package io.lineside.inspection;

import java.time.Instant;
import java.util.Objects;

/**
 * One image handed to the pipeline by any source (folder, camera, HTTP upload).
 *
 * @param bytes      the encoded image file as received
 * @param name       a human name: the file name, the upload's name, the camera frame's name
 * @param source     who produced it: {@code folder}, {@code api}, or the camera's name
 * @param receivedAt when the source got it
 */
public record ImageInput(byte[] bytes, String name, String source, Instant receivedAt) {
    public ImageInput {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(receivedAt, "receivedAt");
    }
}
