package io.lineside.inspection;

/**
 * Per-phase wall time of one inspection, in milliseconds.
 *
 * <p>{@code total} runs from the start of the decode to the end of the score. {@code queue} is the part of it
 * spent waiting for a free scoring slot (every inference slot busy with other images): it belongs to no phase,
 * so that {@code preprocess} says how long preprocessing takes, not how busy the appliance is. Journal
 * records written before it was measured have no {@code queue} and read as 0.
 */
public record Timings(double decode, double preprocess, double infer, double score, double total, double queue) {
}
