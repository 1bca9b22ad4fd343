package io.lineside.ingest.camera;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/** With an API key but no {@code lineside.camera.url}, the trigger says that no camera is configured. */
@QuarkusTest
@TestProfile(CameraTriggerWithoutCameraTest.WithApiKey.class)
class CameraTriggerWithoutCameraTest {

    public static class WithApiKey implements QuarkusTestProfile {
        static final String KEY = "trigger-test-key";

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("lineside.api.keys", KEY);
        }
    }

    @Test
    void triggerAnswers503WithJson() {
        given().header("X-API-Key", WithApiKey.KEY).post("/api/v1/camera/trigger")
                .then().statusCode(503)
                .contentType("application/json")
                .body("error", equalTo("camera-not-configured"))
                .body("detail", containsString("lineside.camera.url"));
    }
}
