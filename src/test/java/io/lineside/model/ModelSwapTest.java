package io.lineside.model;

import io.lineside.ops.OpsEndpointsTest;
import io.lineside.scoring.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.OptionalDouble;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Replacing the active model: API, verdicts and lineside_model_info follow; the old model drains first. */
@QuarkusTest
class ModelSwapTest {
    @Inject
    ActiveModel activeModel;

    @Inject
    ModelStartup startup;

    @Test
    void swappedModelServesAndIsReportedWhileTheOldOneFinishesItsInspection() throws Exception {
        LoadedModel original = activeModel.acquire();
        String originalSha = original.bundle().sha256();
        LoadedModel replacement = startup.loader().load(
                OnnxModelBuilder.valid(1, 32, 32).with("lineside.model.name", "swap-test")
                        .with("lineside.model.version", "7").with("lineside.threshold", "0.5").build(),
                "swap-test.onnx", OptionalDouble.empty());
        try {
            activeModel.activate(replacement);
            // An inspection that took the old model before the swap can still run on it.
            try (var slot = original.scorer().acquire()) {
                slot.fill(0.5f);
                slot.infer();
                assertTrue(Double.isFinite(slot.score()));
            }
            given().get("/api/v1/model").then().body("name", equalTo("swap-test")).body("version", equalTo("7"));
            given().contentType("image/png").body(TestImages.encode(TestImages.gray(64, 64, 1), "png"))
                    .post("/api/v1/inspections").then().statusCode(200)
                    .body("model.name", equalTo("swap-test")).body("threshold", equalTo(0.5f));
            String metrics = OpsEndpointsTest.metrics();
            assertTrue(metrics.contains("lineside_model_info{name=\"swap-test\",sha256=\""
                    + replacement.bundle().sha256() + "\",version=\"7\"} 1"), "info follows the swap");
            assertFalse(metrics.contains(originalSha), "the old model's series is gone");
            assertEquals(0.5, OpsEndpointsTest.value(metrics, "lineside_threshold"), 1e-9);
        } finally {
            original.release();
            activeModel.activate(startup.loadConfigured());
        }
        assertFalse(original.tryAcquire(), "the old model closed once its last inspection released it");
        given().get("/api/v1/model").then().body("sha256", equalTo(originalSha));
    }
}
