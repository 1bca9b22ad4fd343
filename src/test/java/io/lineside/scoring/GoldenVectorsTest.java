package io.lineside.scoring;

import ai.onnxruntime.OrtEnvironment;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lineside.model.LoadedModel;
import io.lineside.model.ModelLoader;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parity with the trainer (training/CONTRACT.md, "Golden vectors"): for every golden model and image,
 * the preprocessed tensor (sum, sum of squares, first values) and all three scores agree with the
 * trainer's within the file's tolerance, relative.
 */
class GoldenVectorsTest {
    private static final Path GOLDEN = Path.of("src/test/resources/golden/golden.json");
    /** Below this magnitude a value is compared absolutely (a relative error of zero is meaningless). */
    private static final double ABSOLUTE_FLOOR = 1e-7;

    @TestFactory
    List<DynamicTest> javaReproducesTheTrainersVectors() throws Exception {
        assertTrue(Files.isRegularFile(GOLDEN), "golden vectors missing: " + GOLDEN.toAbsolutePath()
                + " (written by the trainer, see training/CONTRACT.md)");
        JsonNode root = new ObjectMapper().readTree(GOLDEN.toFile());
        double tolerance = root.path("tolerance").asDouble(1e-4);
        assertTrue(tolerance > 0 && tolerance <= 1e-4, "the contract's tolerance is at most 1e-4, file says " + tolerance);
        Path dir = GOLDEN.getParent();
        ModelLoader loader = new ModelLoader(OrtEnvironment.getEnvironment(), 1, 1);
        ImageDecoder decoder = new ImageDecoder(new ImageLimits(32L << 20, 40_000_000));
        List<DynamicTest> tests = new ArrayList<>();
        assertFalse(root.path("models").isEmpty(), "golden.json lists no models");
        for (JsonNode model : root.path("models")) {
            String file = model.path("file").asText();
            for (JsonNode c : model.path("cases")) {
                String image = c.path("image").asText();
                tests.add(DynamicTest.dynamicTest(file + " / " + image, () -> {
                    LoadedModel loaded = loader.load(Files.readAllBytes(dir.resolve(file)), file, OptionalDouble.empty());
                    try (ScoringSlot slot = loaded.scorer().acquire()) {
                        BufferedImage decoded = decoder.decode(Files.readAllBytes(dir.resolve(image)));
                        slot.preprocess(decoded);
                        checkInput(c.path("input"), slot, tolerance);
                        slot.infer();
                        JsonNode scores = c.path("scores");
                        for (ScoreFunction function : ScoreFunction.values()) {
                            assertTrue(scores.has(function.metadataName()), "no expected " + function.metadataName());
                            assertClose(scores.path(function.metadataName()).asDouble(), slot.score(function), tolerance,
                                    function.metadataName() + " score");
                        }
                    } finally {
                        loaded.release();
                    }
                }));
            }
        }
        assertFalse(tests.isEmpty(), "golden.json has no cases");
        return tests;
    }

    static void checkInput(JsonNode input, ScoringSlot slot, double tolerance) {
        int n = slot.geometry().elements();
        double sum = 0;
        double squares = 0;
        for (int i = 0; i < n; i++) {
            double v = slot.inputAt(i);
            sum += v;
            squares += v * v;
        }
        assertClose(input.path("sum").asDouble(), sum, tolerance, "input sum");
        assertClose(input.path("sumOfSquares").asDouble(), squares, tolerance, "input sum of squares");
        JsonNode first = input.path("first");
        assertTrue(first.size() > 0, "input.first is empty");
        for (int i = 0; i < first.size(); i++) {
            assertClose(first.get(i).asDouble(), slot.inputAt(i), tolerance, "input[" + i + "]");
        }
    }

    static void assertClose(double expected, double actual, double tolerance, String what) {
        double allowed = Math.max(tolerance * Math.abs(expected), ABSOLUTE_FLOOR);
        assertEquals(expected, actual, allowed, what + ": expected " + expected + ", got " + actual
                + " (relative error " + Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300) + ")");
    }
}
