package io.lineside.inspection;

import io.lineside.scoring.Roi;

/**
 * The map shown to people for one inspection, row-major, with its own size: the residual map g of a
 * format-1 model (training/CONTRACT.md: H*W values at model resolution) or the {@code anomaly_map} of a
 * format-2 model (h*w values, h <= H, w <= W).
 *
 * @param scoreFunction format 1's score function (it decides the heat scale); null for format 2
 * @param region        the part of the image the map covers (the region of interest); null for the whole image
 * @param scaleMax      the value drawn at full colour, fixed per model (format 2); NaN to derive it from the map
 */
public record ResidualPlane(int width, int height, float[] values, String scoreFunction, Roi region, double scaleMax) {

    /** A format-1 plane over the whole image. */
    public ResidualPlane(int width, int height, float[] values, String scoreFunction) {
        this(width, height, values, scoreFunction, null, Double.NaN);
    }
}
