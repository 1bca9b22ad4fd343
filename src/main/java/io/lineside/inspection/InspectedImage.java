package io.lineside.inspection;

/**
 * CDI event fired by the pipeline for every {@link Inspection}, after its commit and before the
 * {@link Outcome} event: the image as received, for observers that keep images (history, heatmaps).
 * Observers run on the inspecting thread and must only hand the bytes over, never block.
 *
 * @param residualMap the residual map of a DEFECT verdict (computed while scoring, so keeping it costs
 *                    no second inference); null for GOOD verdicts
 */
public record InspectedImage(ImageInput input, Inspection inspection, ResidualPlane residualMap) {
}
