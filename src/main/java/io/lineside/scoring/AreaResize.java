package io.lineside.scoring;

/**
 * Precomputed weights of the contract's {@code area} resize along one axis (training/CONTRACT.md):
 * output index {@code j} covers input {@code [j*s, (j+1)*s)} with {@code s = in/out}; input index
 * {@code i} contributes {@code overlap([i, i+1), [j*s, (j+1)*s)) / s}. Weights in float64.
 */
final class AreaResize {
    final int inSize;
    final int outSize;
    /** First input index contributing to output j. */
    final int[] start;
    /** Offset of output j's weights in {@link #weights}; output j has {@code offset[j+1]-offset[j]} of them. */
    final int[] offset;
    final double[] weights;

    AreaResize(int inSize, int outSize) {
        if (inSize < 1 || outSize < 1) {
            throw new IllegalArgumentException("sizes must be positive: " + inSize + " -> " + outSize);
        }
        this.inSize = inSize;
        this.outSize = outSize;
        double scale = (double) inSize / outSize;
        start = new int[outSize];
        offset = new int[outSize + 1];
        // At most ceil(scale)+1 inputs touch one output.
        double[] buffer = new double[outSize * ((int) Math.ceil(scale) + 2)];
        int n = 0;
        for (int j = 0; j < outSize; j++) {
            double lo = j * scale;
            double hi = (j + 1) * scale;
            int first = (int) Math.floor(lo);
            int last = Math.min(inSize - 1, (int) Math.ceil(hi) - 1);
            start[j] = first;
            offset[j] = n;
            for (int i = first; i <= last; i++) {
                double overlap = Math.min(i + 1, hi) - Math.max(i, lo);
                buffer[n++] = Math.max(0.0, overlap) / scale;
            }
        }
        offset[outSize] = n;
        weights = java.util.Arrays.copyOf(buffer, n);
    }
}
