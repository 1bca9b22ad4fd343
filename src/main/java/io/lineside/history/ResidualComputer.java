package io.lineside.history;

import ai.onnxruntime.OrtException;
import io.lineside.inspection.InspectionPipeline;
import io.lineside.inspection.ResidualPlane;
import io.lineside.model.ActiveModel;
import io.lineside.model.LoadedModel;
import io.lineside.scoring.ImageDecoder;
import io.lineside.scoring.ImageRejectedException;
import io.lineside.scoring.ModelGeometry;
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

    /**
     * The model's reconstruction of an image, as a PNG at model resolution (of the region of interest
     * when one is set): what the model expected to see. Recomputed with the model that scored the image.
     *
     * @throws Retention.Unavailable {@code reconstruction-unavailable} when that model is no longer in
     *                               service, {@code no-reconstruction} when it outputs none
     */
    public byte[] reconstructionPng(byte[] image, String modelSha256)
            throws Retention.Unavailable, ImageRejectedException, OrtException, InterruptedException {
        LoadedModel model = activeModel.acquire();
        try {
            if (!model.bundle().sha256().equals(modelSha256)) {
                throw new Retention.Unavailable("reconstruction-unavailable", "the image was scored by model "
                        + modelSha256 + ", which is no longer in service");
            }
            if (!model.scorer().outputs().reconstruction()) {
                throw new Retention.Unavailable("no-reconstruction", "model " + model.bundle().identity().name() + " "
                        + model.bundle().identity().version() + " outputs no reconstruction (format 2 makes it optional)");
            }
            BufferedImage decoded = new ImageDecoder(pipeline.limits()).decode(image, model.scorer().geometry());
            ModelGeometry g = model.scorer().geometry();
            float[] values = new float[g.elements()];
            try (ScoringSlot slot = model.scorer().acquire()) {
                slot.preprocess(decoded);
                slot.infer();
                slot.copyReconstruction(values);
            }
            return HeatmapRenderer.encodePng(reconstructionImage(values, g));
        } finally {
            model.release();
        }
    }

    /** Planar [C, H, W] values in [0, 1] (clamped) as an 8-bit gray (C = 1) or RGB (C = 3) image. */
    static BufferedImage reconstructionImage(float[] values, ModelGeometry g) {
        int plane = g.planeSize();
        BufferedImage out = new BufferedImage(g.width(), g.height(),
                g.channels() == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        var raster = out.getRaster();
        for (int y = 0; y < g.height(); y++) {
            for (int x = 0; x < g.width(); x++) {
                int i = y * g.width() + x;
                if (g.channels() == 1) {
                    raster.setSample(x, y, 0, byteOf(values[i]));
                } else {
                    out.setRGB(x, y, (byteOf(values[i]) << 16) | (byteOf(values[plane + i]) << 8) | byteOf(values[2 * plane + i]));
                }
            }
        }
        return out;
    }

    private static int byteOf(float v) {
        return (int) Math.round(Math.min(1.0, Math.max(0.0, v)) * 255.0);
    }

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
