package io.lineside.history;

import ai.onnxruntime.OrtException;
import io.lineside.inspection.InspectionPipeline;
import io.lineside.inspection.ResidualPlane;
import io.lineside.model.ActiveModel;
import io.lineside.model.LoadedModel;
import io.lineside.scoring.ImageDecoder;
import io.lineside.scoring.ImageRejectedException;
import io.lineside.scoring.ScoringSlot;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.awt.image.BufferedImage;
import java.util.Optional;

/**
 * Recomputes an inspection's map (residual map g, or a format-2 model's anomaly map) from its kept image with the model that scored it,
 * off the inspection path, for GOOD parts whose heatmap someone asks for (a DEFECT's map is kept
 * from its inspection). Inference is deterministic, so the
 * map is the one the verdict came from. Only possible while that model is in service.
 */
@ApplicationScoped
public class ResidualComputer {
    /** A residual map with the scale it should be shown on. */
    public record Result(ResidualMap map, HeatScale scale) {
    }

    @Inject
    ActiveModel activeModel;

    @Inject
    InspectionPipeline pipeline;

    /**
     * @return empty when the model that scored the image ({@code modelSha256}) is no longer in service
     */
    public Optional<Result> compute(byte[] image, String modelSha256, double threshold)
            throws ImageRejectedException, OrtException, InterruptedException {
        LoadedModel model = activeModel.acquire();
        try {
            if (!model.bundle().sha256().equals(modelSha256)) {
                return Optional.empty();
            }
            BufferedImage decoded = new ImageDecoder(pipeline.limits()).decode(image, model.scorer().geometry());
            try (ScoringSlot slot = model.scorer().acquire()) {
                slot.preprocess(decoded);
                slot.infer();
                float[] values = new float[slot.mapWidth() * slot.mapHeight()];
                slot.copyResidualMap(values);
                ResidualPlane plane = model.residualPlane(slot.mapWidth(), slot.mapHeight(), values);
                ResidualMap map = new ResidualMap(plane.width(), plane.height(), plane.values(), plane.region());
                return Optional.of(new Result(map,
                        HeatScale.forMap(map, plane.scoreFunction(), threshold, plane.scaleMax())));
            }
        } finally {
            model.release();
        }
    }
}
