package io.lineside.ops;

import io.lineside.scoring.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Health probes and the Prometheus exposition, as a scraper sees them. */
@QuarkusTest
public class OpsEndpointsTest {

    public static String metrics() {
        return given().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    /** The value of one exposition line, e.g. {@code lineside_rejected_total{reason="corrupt",source="api"}}; 0 if absent. */
    public static double value(String metrics, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0.0;
    }

    @Test
    void readyWithTheModelNamedAndLive() {
        String sha256 = given().get("/api/v1/model").path("sha256");
        given().get("/q/health/ready").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItem("model"))
                .body("checks.find { it.name == 'model' }.data.sha256", equalTo(sha256))
                .body("checks.find { it.name == 'model' }.data.warmUp", equalTo("passed"));
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.find { it.name == 'inference' }.status", equalTo("UP"));
    }

    @Test
    void countsVerdictsAndRejectionsAndRecordsScoresAndPhases() {
        String before = metrics();
        String verdict = given().contentType("image/png").body(TestImages.encode(TestImages.gray(200, 150, 11), "png"))
                .post("/api/v1/inspections").then().statusCode(200).extract().path("verdict");
        given().contentType("image/jpeg").body(TestImages.cmykJpeg()).post("/api/v1/inspections").then().statusCode(415);
        given().contentType("image/png").body(new byte[0]).post("/api/v1/inspections").then().statusCode(415);
        String after = metrics();

        String counted = "lineside_inspections_total{source=\"api\",verdict=\"" + verdict.toLowerCase() + "\"}";
        assertEquals(value(before, counted) + 1, value(after, counted), counted);
        for (String reason : new String[] {"unsupported", "empty"}) {
            String series = "lineside_rejected_total{reason=\"" + reason + "\",source=\"api\"}";
            assertEquals(value(before, series) + 1, value(after, series), series);
        }
        assertEquals(value(before, "lineside_anomaly_score_count") + 1, value(after, "lineside_anomaly_score_count"));
        assertTrue(after.contains("lineside_anomaly_score_bucket{le=\"0.001\"}"), "score histogram buckets");
        assertTrue(after.contains("lineside_anomaly_score_bucket{le=\"+Inf\"}"));
        for (String phase : new String[] {"decode", "preprocess", "infer", "score", "total"}) {
            String count = "lineside_inspection_seconds_count{phase=\"" + phase + "\"}";
            assertEquals(value(before, count) + 1, value(after, count), count);
            assertTrue(after.contains("lineside_inspection_seconds_bucket{phase=\"" + phase + "\",le=\"0.01\"}"),
                    "latency histogram buckets for " + phase);
        }
        assertEquals(value(before, "lineside_scoring_queue_seconds_count") + 1,
                value(after, "lineside_scoring_queue_seconds_count"), "the queueing for a scoring slot is measured");
        assertTrue(after.contains("lineside_scoring_queue_seconds_bucket{le=\"0.01\"}"), "queue histogram buckets");
    }

    @Test
    void exposesThresholdAndModelIdentity() {
        float threshold = given().get("/api/v1/model").path("threshold");
        String sha256 = given().get("/api/v1/model").path("sha256");
        String name = given().get("/api/v1/model").path("name");
        String version = given().get("/api/v1/model").path("version");
        String metrics = metrics();
        assertEquals(threshold, value(metrics, "lineside_threshold"), 1e-6);
        assertEquals(1.0, value(metrics, "lineside_model_info{name=\"" + name + "\",sha256=\"" + sha256
                + "\",version=\"" + version + "\"}"));
        assertTrue(metrics.contains("# TYPE lineside_model_info gauge"));
    }
}
