package io.lineside.sinks.mqtt;

import io.lineside.sinks.SinkScene;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A broker that refuses the appliance's password: {@code sinks} is DOWN and says why; inspecting is unaffected. */
@QuarkusTest
@QuarkusTestResource(value = BrokerResource.class, restrictToAnnotatedClass = true,
        initArgs = @ResourceArg(name = "password", value = MqttWrongPasswordTest.WRONG))
class MqttWrongPasswordTest {

    static final String WRONG = "not-the-broker-pw-42";

    @Test
    void sinksIsDownWithTheReasonAndInspectionsGoOn() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        String body = "";
        while (System.nanoTime() < deadline && !body.contains("refused the credentials")) {
            body = given().get("/q/health/group/sinks").asString();
            Thread.sleep(100);
        }
        given().get("/q/health/group/sinks").then().statusCode(503)
                .body("checks.find { it.name == 'mqtt' }.status", equalTo("DOWN"))
                .body("checks.find { it.name == 'mqtt' }.data.reason",
                        containsString("the broker refused the credentials of user 'lineside'"));
        assertFalse(body.contains(WRONG), "the password must never be shown: " + body);

        // Inspections are unaffected: the appliance stays ready and answers with verdicts.
        given().get("/q/health/ready").then().statusCode(200);
        given().contentType("image/png").body(SinkScene.defect()).post("/api/v1/inspections")
                .then().statusCode(200).body("verdict", equalTo("DEFECT"));
        String metrics = given().get("/q/metrics").asString();
        assertTrue(metrics.contains("lineside_sink_errors_total{reason=\"auth\",sink=\"mqtt\"}"), "auth errors counted");
        String sinkLines = String.join("\n", metrics.lines().filter(l -> l.startsWith("lineside_sink_")).toList());
        assertTrue(sinkLines.contains("lineside_sink_backlog{sink=\"mqtt\"} 1.0"), "the verdict waits in the journal:\n" + sinkLines);
        assertFalse(metrics.contains(WRONG));
    }
}
