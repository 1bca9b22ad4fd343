package io.lineside.history;

/**
 * The inferno colour map (perceptually uniform, brightness rises monotonically with the value, so it
 * reads correctly in grey print and for colour-blind operators), as a 256-entry RGB table built from
 * Matt Zucker's CC0 polynomial fit of matplotlib's inferno.
 */
final class Inferno {
    private static final double[][] C = {
            {0.0002189403691192265, 0.001651004631001012, -0.01948089843709184},
            {0.1065134194856116, 0.5639564367884091, 3.932712388889277},
            {11.60249308247187, -3.972853965665698, -15.9423941062914},
            {-41.70399613139459, 17.43639888205313, 44.35414519872813},
            {77.162935699427, -33.40235894210092, -81.80730925738993},
            {-71.31942824499214, 32.62606426397723, 73.20951985803202},
            {25.13112622477341, -12.24266895238567, -23.07032500287172},
    };

    /** 0xRRGGBB for index 0 (coldest) .. 255 (hottest). */
    static final int[] LUT = build();

    private Inferno() {
    }

    private static int[] build() {
        int[] lut = new int[256];
        for (int i = 0; i < 256; i++) {
            double t = i / 255.0;
            int rgb = 0;
            for (int ch = 0; ch < 3; ch++) {
                double v = C[6][ch];
                for (int k = 5; k >= 0; k--) {
                    v = C[k][ch] + t * v;
                }
                int b = (int) Math.round(Math.min(1, Math.max(0, v)) * 255);
                rgb = (rgb << 8) | b;
            }
            lut[i] = rgb;
        }
        return lut;
    }

    /** Colour of a value already normalised to [0, 1] (clamped). */
    static int colour(double normalised) {
        int i = (int) Math.round(Math.min(1, Math.max(0, normalised)) * 255);
        return LUT[i];
    }
}
