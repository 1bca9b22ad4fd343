package io.lineside.api;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** With no key configured (the default), state-changing endpoints are disabled: 403 whatever the header says. */
@QuarkusTest
class ApiKeyDisabledTest {

    @Test
    void stateChangingEndpointsAreDisabledWithoutConfiguredKeys() {
        int before = GuardedProbeResource.CHANGES.get();
        given().body("x").post("/test/guarded")
                .then().statusCode(403)
                .contentType("application/json")
                .body("error", equalTo("disabled"))
                .body("detail", containsString("lineside.api.keys"));
        given().header("X-API-Key", "").body("x").post("/test/guarded").then().statusCode(403);
        given().header("X-API-Key", "guess").body("x").post("/test/guarded").then().statusCode(403);
        assertEquals(before, GuardedProbeResource.CHANGES.get(), "the endpoint must not have run");
    }

    @Test
    void everyModelChangingEndpointIsDisabled() {
        given().contentType("application/octet-stream").body(new byte[]{1, 2, 3}).put("/api/v1/model")
                .then().statusCode(403).body("error", equalTo("disabled"));
        given().header("X-API-Key", "anything").post("/api/v1/model/rollback")
                .then().statusCode(403).body("error", equalTo("disabled"));
        given().queryParam("alpha", 0.1).queryParam("folder", "x").post("/api/v1/model/calibration")
                .then().statusCode(403).body("error", equalTo("disabled"));
        given().queryParam("alpha", 0.1).multiPart("image", "a.png", new byte[]{1}).post("/api/v1/model/calibration")
                .then().statusCode(403).body("error", equalTo("disabled"));
    }

    @Test
    void theOpenApiDocumentDescribesTheKey() {
        given().get("/q/openapi?format=json").then().statusCode(200)
                .body("components.securitySchemes.apiKey.type", equalTo("apiKey"))
                .body("components.securitySchemes.apiKey.in", equalTo("header"))
                .body("components.securitySchemes.apiKey.name", equalTo("X-API-Key"))
                .body("paths.'/api/v1/model'.put.security[0].apiKey", org.hamcrest.Matchers.empty())
                .body("paths.'/api/v1/model'.get.security", org.hamcrest.Matchers.nullValue());
    }

    @Test
    void readEndpointsStayOpen() {
        given().get("/test/guarded").then().statusCode(200).body(equalTo("read"));
    }
}
