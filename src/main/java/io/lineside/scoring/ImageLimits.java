package io.lineside.scoring;

/** Limits checked before an image is decoded: file size, and pixel count from the header. */
public record ImageLimits(long maxBytes, long maxPixels) {
    public ImageLimits {
        if (maxBytes < 1 || maxPixels < 1) {
            throw new IllegalArgumentException("limits must be positive");
        }
    }
}
