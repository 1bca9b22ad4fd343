package io.lineside.api;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** With keys configured: the right key passes, a missing or wrong one gets 401 JSON, reads stay open. */
@QuarkusTest
@TestProfile(ApiKeyFilterTest.WithKeys.class)
class ApiKeyFilterTest {

    static final String KEY = "line3-engineer-7f3a9c2e11d04b6f";
    static final String OTHER_KEY = "line4-engineer-0c55e1d2a7b84d39";

    public static class WithKeys implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("lineside.api.keys", KEY + "," + OTHER_KEY);
        }
    }

    @Test
    void rightKeyPasses() {
        int before = GuardedProbeResource.CHANGES.get();
        given().header("X-API-Key", KEY).body("x").post("/test/guarded")
                .then().statusCode(200).body(equalTo("changed"));
        given().header("X-API-Key", OTHER_KEY).body("x").post("/test/guarded")
                .then().statusCode(200);
        assertEquals(before + 2, GuardedProbeResource.CHANGES.get());
    }

    @Test
    void missingKeyIsRefusedWith401Json() {
        int before = GuardedProbeResource.CHANGES.get();
        given().body("x").post("/test/guarded")
                .then().statusCode(401)
                .contentType("application/json")
                .header("WWW-Authenticate", containsString("X-API-Key"))
                .body("error", equalTo("missing-api-key"))
                .body("detail", containsString("X-API-Key"));
        given().header("X-API-Key", "").body("x").post("/test/guarded")
                .then().statusCode(401).body("error", equalTo("missing-api-key"));
        assertEquals(before, GuardedProbeResource.CHANGES.get(), "the endpoint must not have run");
    }

    @Test
    void wrongKeyIsRefusedWith401JsonThatDoesNotEchoIt() {
        int before = GuardedProbeResource.CHANGES.get();
        for (String wrong : new String[]{KEY.substring(0, KEY.length() - 1), KEY + "0", KEY.toUpperCase(), "x"}) {
            given().header("X-API-Key", wrong).body("x").post("/test/guarded")
                    .then().statusCode(401)
                    .contentType("application/json")
                    .body("error", equalTo("invalid-api-key"))
                    .body("detail", not(containsString(wrong)));
        }
        assertEquals(before, GuardedProbeResource.CHANGES.get(), "the endpoint must not have run");
    }

    @Test
    void realEndpointsAreGuardedAndAnsweredWithTheKey() {
        given().post("/api/v1/model/rollback").then().statusCode(401).body("error", equalTo("missing-api-key"));
        // With the key the request reaches the endpoint: nothing to roll back to right after start-up.
        given().header("X-API-Key", KEY).post("/api/v1/model/rollback")
                .then().statusCode(409).body("error", equalTo("no-previous-model"));
    }

    @Test
    void readEndpointsNeedNoKey() {
        given().get("/test/guarded").then().statusCode(200).body(equalTo("read"));
    }
}
