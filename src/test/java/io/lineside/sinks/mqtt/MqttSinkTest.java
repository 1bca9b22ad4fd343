package io.lineside.sinks.mqtt;

import com.fasterxml.jackson.databind.JsonNode;
import io.lineside.sinks.FakeCamera;
import io.lineside.sinks.SinkScene;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The MQTT sink against a real mosquitto: order, payload, retained status, broker restart mid-burst. */
@QuarkusTest
@QuarkusTestResource(value = BrokerResource.class, restrictToAnnotatedClass = true)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MqttSinkTest {

    private static final String VERDICT = BrokerResource.PREFIX + "/verdict";
    private static final String STATUS = BrokerResource.PREFIX + "/status";

    static String post(byte[] image, String name) {
        Response r = given().contentType("image/png").body(image).queryParam("name", name).post("/api/v1/inspections");
        String id = r.header("X-Inspection-Id");
        if (id == null) {
            throw new AssertionError("no inspection id for " + name + ": " + r.statusCode() + " " + r.asString());
        }
        return id;
    }

    static double metric(String series) {
        String body = given().get("/q/metrics").asString();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.eE+-]+)$").matcher(body);
        if (!m.find()) {
            throw new AssertionError("no " + series + " in /q/metrics");
        }
        return Double.parseDouble(m.group(1));
    }

    static boolean eventually(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    @Test
    @Order(1)
    void statusIsRetainedOnlineWithTheModelInService() throws Exception {
        String sha = given().get("/api/v1/model").then().statusCode(200).extract().path("sha256");
        try (Subscriber late = Subscriber.connect(BrokerResource.broker.port(), "status-reader", STATUS, false)) {
            assertTrue(late.await(m -> !m.isEmpty(), Duration.ofSeconds(10)), "no retained status");
            Subscriber.Message status = late.messages().get(0);
            assertTrue(status.retained(), "the status must be retained");
            assertEquals("online", status.body().get("status").asText());
            assertEquals(sha, status.body().get("modelSha256").asText());
            assertEquals("surface", status.body().get("modelName").asText());
        }
        given().get("/q/health/group/sinks").then().statusCode(200)
                .body("checks.find { it.name == 'mqtt' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'mqtt' }.data.connected", equalTo(true));
    }

    @Test
    @Order(2)
    void everyOutcomeOfABurstArrivesOnceInOrderWithTheHistoryFields() throws Exception {
        double before = metric("lineside_sink_published_total{sink=\"mqtt\"}");
        try (Subscriber sub = Subscriber.connect(BrokerResource.broker.port(), "burst-reader", VERDICT, false)) {
            List<String> posted = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                byte[] image = i % 10 == 3 ? SinkScene.defect() : i % 10 == 7 ? SinkScene.junk() : SinkScene.good();
                posted.add(post(image, "part-" + i));
            }
            assertTrue(sub.awaitIds(posted.size(), Duration.ofSeconds(20)), "got " + sub.distinctIds().size());
            Thread.sleep(300); // any duplicate would arrive right behind
            List<Subscriber.Message> got = sub.messages();
            assertEquals(posted, sub.distinctIds(), "every outcome, in journal order");
            assertEquals(posted.size(), got.size(), "each exactly once (no reconnect happened)");

            JsonNode good = got.get(0).body();
            assertEquals("GOOD", good.get("verdict").asText());
            assertEquals("api", good.get("source").asText());
            assertEquals("part-0", good.get("name").asText());
            assertEquals(SinkScene.THRESHOLD, good.get("threshold").asDouble(), 1e-9);
            assertTrue(good.get("score").asDouble() < SinkScene.THRESHOLD);
            assertEquals("surface", good.get("modelName").asText());
            assertEquals(64, good.get("modelSha256").asText().length());
            assertEquals(64, good.get("imageSha256").asText().length());
            assertTrue(good.get("time").asText().endsWith("Z"), good.get("time").asText());
            assertFalse(good.get("rejected").asBoolean());

            JsonNode defect = got.get(3).body();
            assertEquals("DEFECT", defect.get("verdict").asText());
            assertTrue(defect.get("score").asDouble() > SinkScene.THRESHOLD);

            JsonNode rejected = got.get(7).body();
            assertTrue(rejected.get("rejected").asBoolean());
            assertFalse(rejected.has("verdict"));
            assertTrue(rejected.get("reason").asText().length() > 0);
        }
        assertTrue(eventually(() -> metric("lineside_sink_backlog{sink=\"mqtt\"}") == 0), "backlog back to 0");
        assertEquals(before + 30, metric("lineside_sink_published_total{sink=\"mqtt\"}"), 1e-9);
        assertEquals(1, metric("lineside_sink_connected{sink=\"mqtt\"}"), 1e-9);
    }

    @Test
    @Order(3)
    void aBrokerRestartMidBurstLosesNothingAndInspectionsGoOn() throws Exception {
        Mosquitto broker = BrokerResource.broker;
        List<String> posted = new ArrayList<>();
        try (Subscriber sub = Subscriber.connect(broker.port(), "restart-reader", VERDICT, true)) {
            for (int i = 0; i < 15; i++) {
                posted.add(post(SinkScene.good(), "before-" + i));
            }
            broker.stop();
            AtomicInteger whileDown = new AtomicInteger();
            for (int i = 0; i < 15; i++) {
                posted.add(post(i % 2 == 0 ? SinkScene.good() : SinkScene.defect(), "during-" + i));
                whileDown.incrementAndGet();
            }
            assertEquals(15, whileDown.get(), "inspections went on with the broker down");
            assertTrue(metric("lineside_sink_backlog{sink=\"mqtt\"}") >= 15, "the journal holds the backlog");
            assertEquals(0, metric("lineside_sink_connected{sink=\"mqtt\"}"), 1e-9);
            given().get("/q/health/group/sinks").then().statusCode(503)
                    .body("checks.find { it.name == 'mqtt' }.status", equalTo("DOWN"));
            given().get("/q/health/ready").then().statusCode(200);
            broker.start();
            for (int i = 0; i < 10; i++) {
                posted.add(post(SinkScene.good(), "after-" + i));
            }
            assertTrue(sub.awaitIds(posted.size(), Duration.ofSeconds(30)),
                    "got " + sub.distinctIds().size() + " of " + posted.size());
            assertEquals(posted, sub.distinctIds(), "nothing lost, first arrivals in journal order");
        }
        // The subscriber can see a message before its PUBACK has reached the appliance.
        assertTrue(eventually(() -> metric("lineside_sink_backlog{sink=\"mqtt\"}") == 0), "backlog back to 0");
        assertTrue(metric("lineside_sink_errors_total{reason=\"connection-lost\",sink=\"mqtt\"}") >= 1);
    }

    @Test
    @Order(4)
    void aMessageOnTheTriggerTopicInspectsACameraSnapshot() throws Exception {
        int before = BrokerResource.camera.snapshots();
        try (Subscriber sub = Subscriber.connect(BrokerResource.broker.port(), "trigger-reader", VERDICT, false)) {
            com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient plc = com.hivemq.client.mqtt.MqttClient.builder()
                    .useMqttVersion3().identifier("plc").serverHost("127.0.0.1").serverPort(BrokerResource.broker.port())
                    .buildBlocking();
            plc.connectWith().simpleAuth().username("reader").password("reader-secret".getBytes()).applySimpleAuth().send();
            plc.publishWith().topic(BrokerResource.PREFIX + "/trigger").qos(com.hivemq.client.mqtt.datatypes.MqttQos.AT_LEAST_ONCE)
                    .payload("part in position".getBytes()).send();
            plc.disconnect();
            assertTrue(sub.awaitIds(1, Duration.ofSeconds(15)), "no verdict after the trigger");
            JsonNode verdict = sub.messages().get(0).body();
            assertEquals(FakeCamera.NAME, verdict.get("source").asText());
            assertEquals("DEFECT", verdict.get("verdict").asText());
        }
        assertEquals(before + 1, BrokerResource.camera.snapshots());
    }

    @Test
    @Order(5)
    void thePasswordIsNeverShown() {
        String health = given().get("/q/health/group/sinks").asString();
        assertFalse(health.contains(BrokerResource.PASSWORD), health);
        assertTrue(health.contains("127.0.0.1"), health);
        String metrics = given().get("/q/metrics").asString();
        assertFalse(metrics.contains(BrokerResource.PASSWORD));
    }
}
