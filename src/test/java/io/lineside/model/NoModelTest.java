package io.lineside.model;

import io.lineside.scoring.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/** A configured model that cannot be loaded: the appliance runs, says why, and is not ready. */
@QuarkusTest
@TestProfile(NoModelTest.MissingModel.class)
class NoModelTest {
    public static class MissingModel implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("lineside.model.path", "/nonexistent/lineside/model.onnx");
        }
    }

    @Test
    void notReadyNamingTheReasonButAlive() {
        given().get("/q/health/ready").then().statusCode(503)
                .body("status", equalTo("DOWN"))
                .body("checks.find { it.name == 'model' }.data.reason", containsString("/nonexistent/lineside/model.onnx"));
        given().get("/q/health/live").then().statusCode(200);
    }

    @Test
    void inspectionsAndModelAnswer503WithTheReason() {
        given().contentType("image/png").body(TestImages.encode(TestImages.gray(32, 32, 1), "png"))
                .post("/api/v1/inspections").then().statusCode(503)
                .body("error", equalTo("no-model")).body("detail", containsString("not a readable file"));
        given().get("/api/v1/model").then().statusCode(503).body("error", equalTo("no-model"));
    }
}
