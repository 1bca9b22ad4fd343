package io.lineside.calibration;

import io.lineside.model.lifecycle.LifecycleProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.restassured.path.json.config.JsonPathConfig;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.lineside.model.lifecycle.LifecycleProfile.CALIBRATION_ROOT;
import static io.lineside.model.lifecycle.LifecycleProfile.KEY;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Java and Python agree: recalibrating on the box gives the figures the trainer's own calibration
 * code gives for the same synthetic parts and the same models (src/test/resources/calibration/
 * trainer-parity/expected.json, written by expected.py there with the trainer's functions).
 */
@QuarkusTest
@TestProfile(LifecycleProfile.class)
class CalibrationParityTest {

    static final String FIXTURE = "/calibration/trainer-parity/";
    /** The contract's tolerance for Java vs Python scores (training/CONTRACT.md, golden vectors). */
    static final double RELATIVE = 1e-4;

    static byte[] resource(String name) throws IOException {
        try (InputStream in = CalibrationParityTest.class.getResourceAsStream(FIXTURE + name)) {
            assertTrue(in != null, "missing fixture " + name);
            return in.readAllBytes();
        }
    }

    static JsonPath json(String body) {
        return JsonPath.from(body).using(new JsonPathConfig(JsonPathConfig.NumberReturnType.DOUBLE));
    }

    @Test
    void calibrationOnTheBoxEqualsTheTrainersForTheSameImages() throws IOException {
        JsonPath expected = json(new String(resource("expected.json"), StandardCharsets.UTF_8));
        List<Map<String, Object>> cases = expected.getList("cases");
        assertEquals(6, cases.size());
        for (int i = 0; i < cases.size(); i++) {
            String prefix = "cases[" + i + "].";
            String modelFile = expected.getString(prefix + "model");
            Map<String, Object> scores = expected.getMap(prefix + "scores");
            Path folder = Files.createDirectories(CALIBRATION_ROOT.resolve("parity"));
            for (String image : scores.keySet()) {
                Files.write(folder.resolve(image), resource("good/" + image));
            }
            given().header("X-API-Key", KEY).contentType("application/octet-stream").body(resource(modelFile))
                    .put("/api/v1/model").then().statusCode(200);

            double alpha = expected.getDouble(prefix + "alpha");
            JsonPath report = json(given().header("X-API-Key", KEY).queryParam("alpha", alpha).queryParam("folder", "parity")
                    .post("/api/v1/model/calibration").then().statusCode(200).extract().asString());
            String what = modelFile + " (" + expected.getString(prefix + "score") + "), alpha " + alpha;
            assertEquals(expected.getInt(prefix + "n"), report.getInt("n"), what);
            assertEquals(expected.getInt(prefix + "k"), report.getInt("k"), what);
            double threshold = expected.getDouble(prefix + "threshold");
            assertEquals(threshold, report.getDouble("newThreshold"), RELATIVE * threshold, what + ": threshold");
            double median = expected.getDouble(prefix + "median");
            assertEquals(median, report.getDouble("scores.median"), RELATIVE * median, what + ": median");
        }
    }
}
