package io.lineside.calibration;

import io.lineside.model.ModelBundle;
import io.lineside.model.lifecycle.LifecycleProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

/**
 * A start with a state file left by an applied calibration (written by the same code the API uses):
 * the model it names comes up with the calibrated threshold, not its metadata's nor lineside.threshold.
 */
@QuarkusTest
@TestProfile(PersistedThresholdRestartTest.AfterCalibration.class)
class PersistedThresholdRestartTest {

    static final double CALIBRATED = 0.0123;

    public static class AfterCalibration implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Path dir = Files.createTempDirectory("lineside-restart-");
                Path model = dir.resolve("model.onnx");
                Files.write(model, LifecycleProfile.MODEL_A);
                Path state = dir.resolve("threshold.json");
                new ThresholdStateFile(state).write(new ThresholdState(ModelBundle.sha256(LifecycleProfile.MODEL_A),
                        CALIBRATED, 0.01, 240, 238, 0.009, Instant.parse("2026-11-28T18:00:00Z"), "folder:line3/good"));
                Map<String, String> config = new HashMap<>();
                config.put("lineside.model.path", model.toString());
                config.put("lineside.calibration.state-file", state.toString());
                config.put("lineside.threshold", "0.5"); // the applied calibration is the later decision: it wins
                config.put("lineside.journal.path", dir.resolve("journal").toString());
                config.put("lineside.folder.enabled", "false");
                config.put("lineside.folder.path", dir.resolve("inbox").toString());
                config.put("lineside.folder.archive", dir.resolve("archive").toString());
                return config;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Test
    void theCalibratedThresholdIsInForceAfterARestart() {
        given().get("/api/v1/model").then().statusCode(200)
                .body("sha256", equalTo(ModelBundle.sha256(LifecycleProfile.MODEL_A)))
                .body("threshold", equalTo((float) CALIBRATED))
                .body("thresholdSource", equalTo("calibration"))
                .body("modelThreshold", equalTo(0.05f));
        given().contentType("image/png").body(io.lineside.scoring.TestImages.encode(io.lineside.scoring.TestImages.gray(64, 64, 5), "png"))
                .post("/api/v1/inspections").then().statusCode(200)
                .body("threshold", equalTo((float) CALIBRATED));
    }
}
