package io.lineside.model;

import ai.onnxruntime.OrtEnvironment;
import io.lineside.scoring.ScoreFunction;
import io.lineside.scoring.ScoringSlot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.OptionalDouble;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelLoaderTest {
    private final ModelLoader loader = new ModelLoader(OrtEnvironment.getEnvironment(), 1, 2);

    private LoadedModel load(OnnxModelBuilder model) throws ModelValidationException {
        return loader.load(model.build(), "test.onnx", OptionalDouble.empty());
    }

    private String refusal(OnnxModelBuilder model) {
        return assertThrows(ModelValidationException.class, () -> load(model)).getMessage();
    }

    private static void assertMentions(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "message should mention '" + part + "': " + message);
        }
    }

    @Test
    void loadsAValidModelWithItsMetadataAndWarmsUpEverySlot() throws Exception {
        LoadedModel model = load(OnnxModelBuilder.valid(3, 24, 32).with("lineside.score", "max-blur")
                .with("lineside.score.sigma", "1.5").with("lineside.model.arch", "conv"));
        ModelMetadata m = model.bundle().metadata();
        assertEquals(3, m.geometry().channels());
        assertEquals(24, m.geometry().height());
        assertEquals(32, m.geometry().width());
        assertEquals(ScoreFunction.MAX_BLUR, m.score());
        assertEquals(1.5, m.sigma());
        assertEquals(0.05, model.threshold().value());
        assertEquals(ThresholdSource.MODEL, model.threshold().source());
        assertEquals(200, m.calibrationN());
        assertEquals("conv", m.arch().orElseThrow());
        assertEquals(64, model.bundle().sha256().length());
        assertEquals(2, model.scorer().poolSize());
        assertEquals(2, model.scorer().available(), "warm-up gives every slot back");
        model.retire();
    }

    @Test
    void configuredThresholdOverridesTheModels() throws Exception {
        LoadedModel model = loader.load(OnnxModelBuilder.valid(1, 8, 8).build(), "t", OptionalDouble.of(0.2));
        assertEquals(0.2, model.threshold().value());
        assertEquals(ThresholdSource.CONFIG, model.threshold().source());
        model.retire();
    }

    @Test
    void aRetiredModelStaysUsableUntilItsLastInspectionReleasesIt() throws Exception {
        LoadedModel model = load(OnnxModelBuilder.valid(1, 8, 8));
        assertTrue(model.tryAcquire());
        model.retire();
        try (ScoringSlot slot = model.scorer().acquire()) {
            slot.fill(0.5f);
            slot.infer();
            assertEquals(0.5f * 0.9f + 0.02f, slot.outputAt(0), 1e-6);
        }
        model.release();
        assertTrue(!model.tryAcquire(), "closed once the last reference is gone");
    }

    @Test
    void refusesBytesThatAreNotOnnx() {
        assertMentions(assertThrows(ModelValidationException.class,
                () -> loader.load("hello".getBytes(), "x.onnx", OptionalDouble.empty())).getMessage(),
                "x.onnx", "not a loadable ONNX model");
        assertMentions(assertThrows(ModelValidationException.class,
                () -> loader.load(new byte[0], "e.onnx", OptionalDouble.empty())).getMessage(), "empty");
    }

    @Test
    void refusesWrongInputAndOutputNames() {
        assertMentions(refusal(OnnxModelBuilder.valid(1, 8, 8).inputName("input")), "input is named 'input'", "'image'");
        assertMentions(refusal(OnnxModelBuilder.valid(1, 8, 8).outputName("output")), "output is named 'output'", "'reconstruction'");
    }

    @Test
    void refusesASecondOutput() {
        assertMentions(refusal(OnnxModelBuilder.valid(1, 8, 8).secondOutput()), "2 outputs", "exactly one");
    }

    @Test
    void refusesANonFloatTensor() {
        assertMentions(refusal(OnnxModelBuilder.valid(1, 8, 8).elementType(OnnxModelBuilder.DOUBLE)), "element type", "float32");
    }

    @Test
    void refusesDynamicShapes() {
        assertMentions(refusal(OnnxModelBuilder.valid(1, 8, 8).shape(1L, 1L, "height", "width")), "dynamic", "static shape");
    }

    @Test
    void refusesAnOutputShapedUnlikeTheInput() {
        assertMentions(refusal(OnnxModelBuilder.valid(1, 8, 8).halvedOutput()), "[1, 1, 4, 4]", "[1, 1, 8, 8]", "must be equal");
    }

    @Test
    void acceptsADynamicBatchDimensionAndRunsBatchesOfOne() throws Exception {
        LoadedModel model = load(OnnxModelBuilder.valid(1, 8, 8).shape("N", 1L, 8L, 8L));
        try (ScoringSlot slot = model.scorer().acquire()) {
            slot.fill(0.25f);
            slot.infer();
            assertEquals(0.25f, slot.outputAt(63), 1e-7f, "the Identity graph, run on the pinned [1, 1, 8, 8] tensors");
        } finally {
            model.retire();
        }
    }

    @Test
    void refusesWrongRankBatchAndChannels() {
        assertMentions(refusal(OnnxModelBuilder.valid(1, 8, 8).shape(1L, 64L)), "4 dimensions");
        assertMentions(refusal(OnnxModelBuilder.valid(1, 8, 8).shape(2L, 1L, 8L, 8L)), "batch size 2");
        assertMentions(refusal(OnnxModelBuilder.valid(1, 8, 8).shape(1L, 4L, 8L, 8L)), "4 channels", "1 or 3");
    }

    @Test
    void refusesMetadataThatDisagreesWithTheGraph() {
        assertMentions(refusal(OnnxModelBuilder.valid(1, 8, 8).with("lineside.input.width", "16")),
                "metadata says input [1, 1, 8, 16]", "graph's input is [1, 1, 8, 8]");
        assertMentions(refusal(OnnxModelBuilder.valid(1, 8, 8).with("lineside.input.channels", "3")),
                "metadata says input [1, 3, 8, 8]");
    }

    @ParameterizedTest
    @ValueSource(strings = {"lineside.format", "lineside.input.width", "lineside.input.height", "lineside.input.channels",
            "lineside.input.resize", "lineside.score", "lineside.threshold", "lineside.calibration.alpha",
            "lineside.calibration.n", "lineside.model.name", "lineside.model.version"})
    void refusesAModelMissingARequiredMetadataKey(String key) {
        assertEquals("metadata key " + key + " is missing", refusal(OnnxModelBuilder.valid(1, 8, 8).without(key)));
    }

    @Test
    void refusesInvalidMetadataValues() {
        assertMentions(refusal(OnnxModelBuilder.valid(1, 8, 8).with("lineside.format", "3")), "lineside.format = 3",
                "formats 1 and 2");
        // A reconstruction-only graph labelled format 2 lacks the outputs format 2 requires.
        assertMentions(refusal(OnnxModelBuilder.valid(1, 8, 8).with("lineside.format", "2")),
                "outputs [reconstruction]", "no output named 'score'");
        assertMentions(refusal(OnnxModelBuilder.valid(1, 8, 8).with("lineside.input.resize", "bilinear")),
                "lineside.input.resize = 'bilinear' is unknown", "area");
        assertMentions(refusal(OnnxModelBuilder.valid(1, 8, 8).with("lineside.score", "psnr")),
                "lineside.score = 'psnr' is unknown", "std, mse, max-blur");
        assertMentions(refusal(OnnxModelBuilder.valid(1, 8, 8).with("lineside.threshold", "abc")),
                "lineside.threshold = 'abc' is not a finite number");
        assertMentions(refusal(OnnxModelBuilder.valid(1, 8, 8).with("lineside.threshold", "-1")), "must not be negative");
        assertMentions(refusal(OnnxModelBuilder.valid(1, 8, 8).with("lineside.threshold", "NaN")), "not a finite number");
        assertMentions(refusal(OnnxModelBuilder.valid(1, 8, 8).with("lineside.calibration.alpha", "1.5")), "strictly between 0 and 1");
        assertMentions(refusal(OnnxModelBuilder.valid(1, 8, 8).with("lineside.input.channels", "2")), "must be 1 or 3");
        assertMentions(refusal(OnnxModelBuilder.valid(1, 8, 8).with("lineside.input.width", "8.5")), "lineside.input.width = '8.5' is invalid");
        assertMentions(refusal(OnnxModelBuilder.valid(1, 8, 8).with("lineside.score.sigma", "0")), "lineside.score.sigma", "must be positive");
    }

    @Test
    void ignoresUnknownLinesideKeysAndDefaultsSigma() throws Exception {
        LoadedModel model = load(OnnxModelBuilder.valid(1, 8, 8).with("lineside.future.key", "x").without("lineside.calibration.median"));
        assertEquals(ModelMetadata.DEFAULT_SIGMA, model.bundle().metadata().sigma());
        assertTrue(model.bundle().metadata().calibrationMedian().isEmpty());
        model.retire();
    }
}
