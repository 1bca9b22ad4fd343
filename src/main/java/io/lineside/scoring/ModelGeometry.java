package io.lineside.scoring;

/** The model's input (and output) tensor: {@code [1, channels, height, width]}. */
public record ModelGeometry(int channels, int height, int width) {
    public ModelGeometry {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, not " + channels);
        }
        if (height < 1 || width < 1) {
            throw new IllegalArgumentException("height and width must be positive: " + height + "x" + width);
        }
    }

    public long[] shape() {
        return new long[] {1, channels, height, width};
    }

    /** Elements in the tensor, C*H*W. */
    public int elements() {
        return Math.multiplyExact(channels, Math.multiplyExact(height, width));
    }

    /** Pixels in one plane, H*W: the size of the residual map. */
    public int planeSize() {
        return height * width;
    }
}
