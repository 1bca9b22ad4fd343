package io.lineside.inspection;

/**
 * The residual map g of one inspection (training/CONTRACT.md: H*W values, row-major, at model
 * resolution), with the score function of the model that produced it (it decides the heat scale).
 */
public record ResidualPlane(int width, int height, float[] values, String scoreFunction) {
}
