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

import static io.lineside.scoring.GoldenVectorsTest.assertClose;
import static io.lineside.scoring.GoldenVectorsTest.checkInput;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parity with the trainer for format 2 (training/CONTRACT.md, "Format 2: golden2.json"): for every
 * golden model and image, the preprocessed tensor (sum, sum of squares, first values), the graph's
 * score and its anomaly map (shape, max, sum) agree with the trainer's within the file's tolerance,
 * relative. Same graph, same preprocessing: only the decode and the resize could differ.
 */
class Golden2VectorsTest {
    private static final Path GOLDEN = Path.of("src/test/resources/golden/golden2.json");

    @TestFactory
    List<DynamicTest> javaReproducesTheTrainersFormat2Vectors() throws Exception {
        assertTrue(Files.isRegularFile(GOLDEN), "format-2 golden vectors missing: " + GOLDEN.toAbsolutePath()
                + " (written by the trainer, see training/CONTRACT.md)");
        JsonNode root = new ObjectMapper().readTree(GOLDEN.toFile());
        double tolerance = root.path("tolerance").asDouble(1e-4);
        assertTrue(tolerance > 0 && tolerance <= 1e-5, "format 2's tolerance is at most 1e-5, file says " + tolerance);
        Path dir = GOLDEN.getParent();
        ModelLoader loader = new ModelLoader(OrtEnvironment.getEnvironment(), 1, 1);
        ImageDecoder decoder = new ImageDecoder(new ImageLimits(32L << 20, 40_000_000));
        List<DynamicTest> tests = new ArrayList<>();
        assertFalse(root.path("models").isEmpty(), "golden2.json lists no models");
        for (JsonNode model : root.path("models")) {
            String file = model.path("file").asText();
            for (JsonNode c : model.path("cases")) {
                String image = c.path("image").asText();
                tests.add(DynamicTest.dynamicTest(file + " / " + image, () -> {
                    LoadedModel loaded = loader.load(Files.readAllBytes(dir.resolve(file)), file, OptionalDouble.empty());
                    try (ScoringSlot slot = loaded.scorer().acquire()) {
                        assertEquals(2, loaded.bundle().metadata().format(), file + " is format 2");
                        // Decoded as inspections decode it (a one-channel model takes a JPEG's luma plane).
                        BufferedImage decoded = decoder.decode(Files.readAllBytes(dir.resolve(image)),
                                loaded.scorer().geometry());
                        slot.preprocess(decoded);
                        checkInput(c.path("input"), slot, tolerance);
                        slot.infer();
                        assertClose(c.path("score").asDouble(), slot.score(), tolerance, "score");
                        JsonNode map = c.path("map");
                        List<Long> shape = new ArrayList<>();
                        map.path("shape").forEach(d -> shape.add(d.asLong()));
                        assertEquals(shape, List.of(1L, 1L, (long) slot.mapHeight(), (long) slot.mapWidth()),
                                "map shape [1, 1, h, w]");
                        float[] values = new float[slot.mapWidth() * slot.mapHeight()];
                        slot.copyResidualMap(values);
                        double max = Double.NEGATIVE_INFINITY;
                        double sum = 0;
                        for (float v : values) {
                            max = Math.max(max, v);
                            sum += v;
                        }
                        assertClose(map.path("max").asDouble(), max, tolerance, "map max");
                        assertClose(map.path("sum").asDouble(), sum, tolerance, "map sum");
                    } finally {
                        loaded.release();
                    }
                }));
            }
        }
        assertFalse(tests.isEmpty(), "golden2.json has no cases");
        return tests;
    }
}
