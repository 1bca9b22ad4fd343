package io.lineside.history;

import io.lineside.scoring.Roi;

import java.util.Objects;

/**
 * The map the heatmap shows, row-major, at its own resolution: the residual map {@code g} of a
 * format-1 model (blurred mean absolute residual, at model resolution) or the {@code anomaly_map} of a
 * format-2 model.
 *
 * @param region the part of the image the map covers (the region of interest); null for the whole image
 */
public record ResidualMap(int width, int height, float[] values, Roi region) {
    /** A map over the whole image. */
    public ResidualMap(int width, int height, float[] values) {
        this(width, height, values, null);
    }

    public ResidualMap {
        Objects.requireNonNull(values, "values");
        if (width <= 0 || height <= 0 || values.length != width * height) {
            throw new IllegalArgumentException(
                    "residual map " + width + "x" + height + " needs " + width * height + " values, got " + values.length);
        }
    }

    public float max() {
        float max = 0f;
        for (float v : values) {
            if (v > max) {
                max = v;
            }
        }
        return max;
    }

    /** Bilinear sample at continuous map coordinates (pixel centres at integer + 0.5), edges clamped. */
    float sample(double x, double y) {
        double fx = Math.min(Math.max(x - 0.5, 0), width - 1);
        double fy = Math.min(Math.max(y - 0.5, 0), height - 1);
        int x0 = (int) fx;
        int y0 = (int) fy;
        int x1 = Math.min(x0 + 1, width - 1);
        int y1 = Math.min(y0 + 1, height - 1);
        float tx = (float) (fx - x0);
        float ty = (float) (fy - y0);
        float top = values[y0 * width + x0] * (1 - tx) + values[y0 * width + x1] * tx;
        float bottom = values[y1 * width + x0] * (1 - tx) + values[y1 * width + x1] * tx;
        return top * (1 - ty) + bottom * ty;
    }
}
