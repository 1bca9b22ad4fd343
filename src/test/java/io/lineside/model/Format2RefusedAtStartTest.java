package io.lineside.model;

import io.lineside.scoring.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/** A format-2 model refused at start-up (its map is larger than its input): alive, unready, saying why, as format 1. */
@QuarkusTest
@TestProfile(Format2RefusedAtStartTest.OversizedMap.class)
class Format2RefusedAtStartTest {
    public static class OversizedMap implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Path dir = Path.of("target", "test-data", "f2-refused-" + UUID.randomUUID()).toAbsolutePath();
            Path model = dir.resolve("model.onnx");
            try {
                Files.createDirectories(dir);
                Files.write(model, OnnxModelBuilder.format2(1, 32, 48).mapLargerThanInput().build());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return Map.of("lineside.model.path", model.toString(),
                    "lineside.journal.path", dir.resolve("journal").toString(),
                    "lineside.folder.enabled", "false");
        }
    }

    @Test
    void notReadyNamingTheProblemButAlive() {
        given().get("/q/health/ready").then().statusCode(503)
                .body("status", equalTo("DOWN"))
                .body("checks.find { it.name == 'model' }.data.reason",
                        containsString("'anomaly_map' [1, 1, 32, 96] is larger than the input [1, 1, 32, 48]"));
        given().get("/q/health/live").then().statusCode(200);
        given().get("/api/v1/model").then().statusCode(503).body("error", equalTo("no-model"))
                .body("detail", containsString("larger than the input"));
        given().contentType("image/png").body(TestImages.encode(TestImages.gray(48, 32, 1), "png"))
                .post("/api/v1/inspections").then().statusCode(503).body("error", equalTo("no-model"));
    }
}
