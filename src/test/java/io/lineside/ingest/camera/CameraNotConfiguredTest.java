package io.lineside.ingest.camera;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/** Without {@code lineside.camera.url} the camera source is off, and says so. */
@QuarkusTest
class CameraNotConfiguredTest {

    @Test
    void triggerIsDisabledWithoutAnApiKeyConfigured() {
        given().post("/api/v1/camera/trigger")
                .then().statusCode(403)
                .contentType("application/json")
                .body("error", equalTo("disabled"));
    }

    @Test
    void statusIs404() {
        given().get("/api/v1/camera").then().statusCode(404).body("error", equalTo("camera-not-configured"));
    }

    @Test
    void healthGroupSaysNotConfigured() {
        given().get("/q/health/group/camera")
                .then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks[0].name", equalTo("camera"))
                .body("checks[0].data.configured", equalTo(false));
    }
}
