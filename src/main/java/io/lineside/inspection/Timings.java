package io.lineside.inspection;

/** Per-phase wall time of one inspection, in milliseconds. */
public record Timings(double decode, double preprocess, double infer, double score, double total) {
}
