package io.lineside.history;

/**
 * The value range the heatmap's colours span, 0 .. {@code max}, and an optional threshold mark
 * on the scale bar ({@code NaN} for none).
 */
public record HeatScale(double max, double threshold) {
    public HeatScale {
        if (!(max > 0) || Double.isInfinite(max)) {
            throw new IllegalArgumentException("heat scale max must be positive, got " + max);
        }
    }

    /**
     * The scale an operator can compare between parts: when the residual map is in the same unit
     * as the threshold (score {@code max-blur}, whose score is max(g); score {@code ssim}, whose score
     * is a high quantile of its map 1 - SSIM), colours run to
     * max(threshold, hottest residual) so a good part stays cold and a defect glows; otherwise
     * (std, mse: other units) to the map's own maximum, and no threshold mark.
     */
    public static HeatScale forMap(ResidualMap map, String scoreFunction, double threshold) {
        return forMap(map, scoreFunction, threshold, Double.NaN);
    }

    /**
     * As above, unless the model fixes its own scale ({@code fixedMax}, format 2: {@code lineside.map.max}
     * or its stand-in, see {@code LoadedModel.mapScaleMax}): then colours run to it for every image of that
     * model, and no threshold is marked (a format-2 score need not be in the map's unit).
     */
    public static HeatScale forMap(ResidualMap map, String scoreFunction, double threshold, double fixedMax) {
        if (fixedMax > 0 && Double.isFinite(fixedMax)) {
            return new HeatScale(fixedMax, Double.NaN);
        }
        double hottest = map.max();
        if (("max-blur".equals(scoreFunction) || "ssim".equals(scoreFunction)) && threshold > 0) {
            return new HeatScale(Math.max(threshold, hottest), threshold);
        }
        return new HeatScale(hottest > 0 ? hottest : 1e-6, Double.NaN);
    }
}
