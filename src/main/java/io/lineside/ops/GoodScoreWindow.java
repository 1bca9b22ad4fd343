package io.lineside.ops;

import java.util.Arrays;

/**
 * The last {@code capacity} anomaly scores of GOOD parts, and their median. A fixed ring: memory
 * stays constant however long the line runs. Thread-safe; the median is computed on demand (at
 * scrape time, every few seconds), not per part.
 */
final class GoodScoreWindow {

    private final double[] scores;
    private final int minimum;
    private int next;
    private int size;

    /**
     * @param capacity how many recent GOOD scores the median covers
     * @param minimum  fewer scores than this give NaN: a median of a handful of parts is noise
     */
    GoodScoreWindow(int capacity, int minimum) {
        if (capacity < 1 || minimum < 1 || minimum > capacity) {
            throw new IllegalArgumentException("need 1 <= minimum <= capacity, got " + minimum + ", " + capacity);
        }
        this.scores = new double[capacity];
        this.minimum = minimum;
    }

    synchronized void add(double score) {
        if (!Double.isFinite(score)) {
            return;
        }
        scores[next] = score;
        next = (next + 1) % scores.length;
        size = Math.min(size + 1, scores.length);
    }

    synchronized void clear() {
        next = 0;
        size = 0;
    }

    synchronized int size() {
        return size;
    }

    /** Median of the window (mean of the two middle values for an even count); NaN below the minimum. */
    double median() {
        double[] copy;
        synchronized (this) {
            if (size < minimum) {
                return Double.NaN;
            }
            copy = Arrays.copyOf(scores, size);
        }
        Arrays.sort(copy);
        int middle = copy.length / 2;
        return copy.length % 2 == 1 ? copy[middle] : (copy[middle - 1] + copy[middle]) / 2;
    }
}
