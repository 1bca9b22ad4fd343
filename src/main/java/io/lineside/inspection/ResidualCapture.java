package io.lineside.inspection;

/**
 * A caller-owned, reusable place for the map of one inspection, with its own width and height: the
 * residual map g of a format-1 model (H*W floats, row-major, at model resolution) or the anomaly map of a
 * format-2 model (h*w). Pass one to {@link InspectionPipeline#inspect(ImageInput,
 * ResidualCapture)} to get the map; inspections without one do not compute it unless the score needs it.
 * Not thread-safe: one per caller thread.
 */
public final class ResidualCapture {
    private float[] values = new float[0];
    private int width;
    private int height;

    float[] prepare(int width, int height) {
        int size = width * height;
        if (values.length < size) {
            values = new float[size];
        }
        this.width = width;
        this.height = height;
        return values;
    }

    /** The map; only the first {@code width() * height()} values belong to the last inspection. */
    public float[] values() {
        return values;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }
}
