package io.lineside.model;

import ai.onnxruntime.OrtEnvironment;
import io.lineside.inspection.RejectReason;
import io.lineside.scoring.GraphOutputs;
import io.lineside.scoring.ImageRejectedException;
import io.lineside.scoring.Roi;
import io.lineside.scoring.ScoreFunction;
import io.lineside.scoring.ScoringSlot;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Format 2 (training/CONTRACT.md): the graph outputs {@code score} and {@code anomaly_map} by name; the
 * loader checks names, ranks and sizes, and a warm-up inference checks that both are finite. Each refusal
 * the issue lists has its own test, and its message names the problem.
 */
class Format2ModelLoaderTest {
    private final ModelLoader loader = new ModelLoader(OrtEnvironment.getEnvironment(), 1, 2);

    private LoadedModel load(OnnxModelBuilder model) throws ModelValidationException {
        return loader.load(model.build(), "f2.onnx", OptionalDouble.empty());
    }

    private String refusal(OnnxModelBuilder model) {
        return assertThrows(ModelValidationException.class, () -> load(model)).getMessage();
    }

    private static void assertMentions(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "message should mention '" + part + "': " + message);
        }
    }

    /** Black image (gray) with a white rectangle. */
    static BufferedImage blackWithWhite(int width, int height, int x, int y, int w, int h, int type) {
        BufferedImage image = new BufferedImage(width, height, type);
        var g = image.createGraphics();
        g.setColor(java.awt.Color.BLACK);
        g.fillRect(0, 0, width, height);
        g.setColor(java.awt.Color.WHITE);
        g.fillRect(x, y, w, h);
        g.dispose();
        return image;
    }

    @Test
    void loadsANonSquareColourModelAndServesTheGraphsScoreAndMap() throws Exception {
        // W 64 x H 24, map a quarter: 16 x 6.
        LoadedModel model = load(OnnxModelBuilder.format2(3, 24, 64).reference(0f).with("lineside.map.max", "0.8"));
        try {
            ModelMetadata m = model.bundle().metadata();
            assertEquals(2, m.format());
            assertEquals(null, m.score(), "format 2 has no appliance-side score function");
            assertEquals("max-pool", m.scoreMethod().orElseThrow());
            assertEquals(0.8, m.mapMax().getAsDouble());
            GraphOutputs outputs = model.scorer().outputs();
            assertTrue(outputs.graphScores());
            assertEquals(6, outputs.mapHeight());
            assertEquals(16, outputs.mapWidth());
            assertFalse(outputs.reconstruction());
            assertEquals(Map.of("score", List.of(1L), "anomaly_map", List.of(1L, 1L, 6L, 16L)),
                    outputs.shapes(m.geometry()));
            assertEquals(2, model.scorer().available(), "warm-up gives every slot back");

            // Source image 128 x 48 (2x the model): a white 16 x 8 block at (80, 16) is, in the model's
            // input, 8 x 4 at (40, 8): map cells x 10..11, y 2, exactly 1.0.
            BufferedImage image = blackWithWhite(128, 48, 80, 16, 16, 8, BufferedImage.TYPE_3BYTE_BGR);
            try (ScoringSlot slot = model.scorer().acquire()) {
                slot.preprocess(image);
                slot.infer();
                assertEquals(1.0, slot.score(), 1e-6, "the graph's score: max of the map");
                float[] map = new float[slot.mapWidth() * slot.mapHeight()];
                slot.copyResidualMap(map);
                for (int y = 0; y < 6; y++) {
                    for (int x = 0; x < 16; x++) {
                        float expected = (y == 2 && (x == 10 || x == 11)) ? 1f : 0f;
                        assertEquals(expected, map[y * 16 + x], 1e-6, "map at (" + x + "," + y + ")");
                    }
                }
                assertThrows(IllegalStateException.class, () -> slot.score(ScoreFunction.STD),
                        "no appliance-side score for a format-2 model");
            }
        } finally {
            model.retire();
        }
    }

    @Test
    void acceptsADynamicBatchAScoreShapedNBy1AndAReconstruction() throws Exception {
        LoadedModel model = load(OnnxModelBuilder.format2(1, 16, 32).dynamicBatch().scoreShapedNBy1()
                .withReconstruction().reference(0f));
        try {
            GraphOutputs outputs = model.scorer().outputs();
            assertEquals(2, outputs.scoreRank());
            assertTrue(outputs.reconstruction());
            assertEquals(List.of(1L, 1L, 16L, 32L), outputs.shapes(model.bundle().metadata().geometry()).get("reconstruction"));
            try (ScoringSlot slot = model.scorer().acquire()) {
                slot.preprocess(blackWithWhite(32, 16, 0, 0, 4, 4, BufferedImage.TYPE_BYTE_GRAY));
                slot.infer();
                assertEquals(1.0, slot.score(), 1e-6);
                assertEquals(1.0f, slot.outputAt(0), 1e-6f, "the reconstruction output is pinned too");
                assertEquals(0.0f, slot.outputAt(16 * 32 - 1), 1e-6f);
            }
        } finally {
            model.retire();
        }
    }

    @Test
    void refusesAModelWithoutScore() {
        assertMentions(refusal(OnnxModelBuilder.format2(1, 16, 16).withoutScore()),
                "no output named 'score'", "[anomaly_map]");
    }

    @Test
    void refusesAModelWithoutAnomalyMap() {
        assertMentions(refusal(OnnxModelBuilder.format2(1, 16, 16).withoutMap()),
                "no output named 'anomaly_map'", "[N, 1, h, w]");
    }

    @Test
    void refusesAMapLargerThanTheInput() {
        assertMentions(refusal(OnnxModelBuilder.format2(1, 16, 16).mapLargerThanInput()),
                "'anomaly_map' [1, 1, 16, 32] is larger than the input [1, 1, 16, 16]", "h <= H and w <= W");
    }

    @Test
    void refusesANanScoreAtWarmUp() {
        assertMentions(refusal(OnnxModelBuilder.format2(1, 16, 16).nanScore()),
                "warm-up", "non-finite score (NaN)", "'score'");
    }

    @Test
    void refusesANonFiniteMapAtWarmUp() {
        assertMentions(refusal(OnnxModelBuilder.format2(1, 16, 16).nanMap()),
                "warm-up", "non-finite value (NaN)", "'anomaly_map'", "row 0, column 0");
    }

    @Test
    void refusesAScoreOfTheWrongRank() {
        assertMentions(refusal(OnnxModelBuilder.format2(1, 16, 16).scoreOfWrongRank()),
                "'score' has shape [1, 1, 1, 1] (rank 4)", "[N] or [N, 1]");
    }

    @Test
    void refusesUnknownExtraOutputs() {
        assertMentions(refusal(OnnxModelBuilder.format2(1, 16, 16).secondOutput()),
                "output 'extra' that format 2 does not define");
    }

    @Test
    void refusesMetadataThatDisagreesWithTheGraph() {
        assertMentions(refusal(OnnxModelBuilder.format2(1, 16, 32).with("lineside.input.width", "16")),
                "metadata says input [1, 1, 16, 16]", "graph's input is [1, 1, 16, 32]");
    }

    @Test
    void refusesBadMapMaxAndRegionOfInterest() {
        assertMentions(refusal(OnnxModelBuilder.format2(1, 16, 16).with("lineside.map.max", "0")),
                "lineside.map.max", "must be positive");
        assertMentions(refusal(OnnxModelBuilder.format2(1, 16, 16).with("lineside.map.max", "NaN")),
                "lineside.map.max", "not a finite number");
        assertMentions(refusal(OnnxModelBuilder.format2(1, 16, 16).with("lineside.input.roi", "1,2,3")),
                "lineside.input.roi is invalid", "'1,2,3' is not x,y,w,h");
        assertMentions(refusal(OnnxModelBuilder.format2(1, 16, 16).with("lineside.input.roi", "1,2,0,4")),
                "lineside.input.roi is invalid", "w and h must be at least 1");
        assertMentions(refusal(OnnxModelBuilder.format2(1, 16, 16).with("lineside.input.roi", "-1,2,3,4")),
                "x = '-1' is not a non-negative integer");
    }

    @Test
    void theMethodNameIsInformationOnlyAndMayBeAbsent() throws Exception {
        LoadedModel model = load(OnnxModelBuilder.format2(1, 16, 16).without("lineside.score")
                .with("lineside.score.sigma", "4"));
        try {
            assertTrue(model.bundle().metadata().scoreMethod().isEmpty());
            assertEquals(4.0, model.bundle().metadata().sigma());
            assertTrue(model.bundle().metadata().mapMax().isEmpty());
            assertEquals(0.6, model.mapScaleMax().getAsDouble(), 1e-12,
                    "without lineside.map.max the heat scale is twice the model's own threshold (0.3)");
        } finally {
            model.retire();
        }
    }

    @Test
    void theRegionOfInterestIsCroppedBeforeTheResizeAndConfigOverridesTheModels() throws Exception {
        // Model 32 x 16 looking at region 100,50,64,32 of a 300 x 200 image: a white 8 x 8 block at
        // (132, 66) is, in the input, 4 x 4 at (16, 8): map cell (4, 2).
        BufferedImage image = blackWithWhite(300, 200, 132, 66, 8, 8, BufferedImage.TYPE_BYTE_GRAY);
        OnnxModelBuilder builder = OnnxModelBuilder.format2(1, 16, 32).reference(0f)
                .with("lineside.input.roi", "100,50,64,32");
        LoadedModel model = load(builder);
        try {
            assertEquals(new Roi(100, 50, 64, 32), model.scorer().roi().orElseThrow());
            try (ScoringSlot slot = model.scorer().acquire()) {
                slot.preprocess(image);
                slot.infer();
                assertEquals(1.0, slot.score(), 1e-6);
                assertEquals(1.0f, slot.mapAt(2 * 8 + 4), 1e-6f, "hot where the block is, in region coordinates");
                ImageRejectedException outside = assertThrows(ImageRejectedException.class,
                        () -> slot.preprocess(new BufferedImage(160, 80, BufferedImage.TYPE_BYTE_GRAY)));
                assertEquals(RejectReason.ROI_OUTSIDE_IMAGE, outside.reason());
                assertMentions(outside.getMessage(), "160x80", "100,50,64,32", "lineside.input.roi");
            }
        } finally {
            model.retire();
        }

        // The camera moved: lineside.roi (124,58,64,32) wins over the model's region; the block at (132, 66)
        // is then at (8, 8) of the region, (4, 4) of the input: map cell (1, 1).
        LoadedModel moved = loader.load(builder.build(), "f2.onnx", OptionalDouble.empty(),
                Optional.of(Roi.parse("124, 58, 64, 32")));
        try {
            assertEquals(new Roi(124, 58, 64, 32), moved.scorer().roi().orElseThrow());
            try (ScoringSlot slot = moved.scorer().acquire()) {
                slot.preprocess(image);
                slot.infer();
                assertEquals(1.0, slot.score(), 1e-6);
                assertEquals(1.0f, slot.mapAt(8 + 1), 1e-6f, "hot at the block's place in the overriding region");
                assertEquals(0.0f, slot.mapAt(2 * 8 + 4), 1e-6f, "not where the model's own region put it");
                ImageRejectedException outside = assertThrows(ImageRejectedException.class,
                        () -> slot.preprocess(new BufferedImage(180, 80, BufferedImage.TYPE_BYTE_GRAY)));
                assertMentions(outside.getMessage(), "lineside.roi");
            }
        } finally {
            moved.retire();
        }
    }

    @Test
    void regionTextIsCheckedStrictly() {
        assertEquals(new Roi(0, 0, 1, 1), Roi.parse("0,0,1,1"));
        assertEquals("10,20,30,40", Roi.parse(" 10 , 20,30 ,40 ").toString());
        for (String bad : new String[] {"", "1,2,3", "1,2,3,4,5", "a,2,3,4", "1.5,2,3,4", "1,2,3,0", "1,2,0,3",
                "-1,0,3,4", "1,2,3,", "1,,3,4", "99999999999,0,1,1"}) {
            assertThrows(IllegalArgumentException.class, () -> Roi.parse(bad), bad);
        }
    }
}
