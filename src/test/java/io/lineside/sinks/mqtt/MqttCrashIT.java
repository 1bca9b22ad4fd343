package io.lineside.sinks.mqtt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lineside.ingest.folder.PackagedApp;
import io.lineside.sinks.SinkScene;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 of the packaged appliance in the middle of a burst, then a restart on the same data: every
 * outcome the journal holds reaches the subscriber (duplicates allowed, counted and printed), in
 * journal order of first arrival; the broker delivers the last will ({@code offline}) at the kill.
 */
class MqttCrashIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void killNineMidBurstThenRestartLosesNothing() throws Exception {
        Path root = Path.of("target", "test-data", "mqtt-crash-" + UUID.randomUUID()).toAbsolutePath();
        Files.createDirectories(root);
        Path model = root.resolve("model.onnx");
        Files.write(model, SinkScene.modelBytes());
        try (Mosquitto broker = Mosquitto.start(root.resolve("broker"), BrokerResource.PASSWORD)) {
            Map<String, String> props = new HashMap<>();
            props.put("lineside.model.path", model.toString());
            props.put("lineside.journal.path", root.resolve("journal").toString());
            props.put("lineside.retention.path", root.resolve("images").toString());
            props.put("lineside.calibration.state-file", root.resolve("threshold.json").toString());
            props.put("lineside.folder.enabled", "false");
            props.put("lineside.mqtt.url", broker.url());
            props.put("lineside.mqtt.username", Mosquitto.USER);
            props.put("lineside.mqtt.password", BrokerResource.PASSWORD);
            props.put("lineside.mqtt.topic-prefix", "crash");
            props.put("lineside.mqtt.client-id", "lineside-crash");
            Path log = root.resolve("app.log");

            try (Subscriber verdicts = Subscriber.connect(broker.port(), "crash-verdicts", "crash/verdict", true);
                 Subscriber status = Subscriber.connect(broker.port(), "crash-status", "crash/status", false)) {
                PackagedApp app = PackagedApp.start(log, props);
                try {
                    AtomicInteger answered = new AtomicInteger();
                    AtomicBoolean stop = new AtomicBoolean();
                    PackagedApp first = app;
                    Thread burst = new Thread(() -> {
                        for (int i = 0; i < 400 && !stop.get(); i++) {
                            try {
                                HttpResponse<String> r = first.post("/api/v1/inspections?name=p" + i,
                                        i % 5 == 0 ? SinkScene.defect() : SinkScene.good(), "image/png");
                                if (r.statusCode() == 200) {
                                    answered.incrementAndGet();
                                }
                            } catch (IOException killed) {
                                return;
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                    });
                    burst.start();
                    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                    while (answered.get() < 60 && System.nanoTime() < deadline) {
                        Thread.sleep(5);
                    }
                    assertTrue(answered.get() >= 60, "the burst did not get going: " + answered.get());
                    app.kill();
                    stop.set(true);
                    burst.join(30_000);
                    assertTrue(status.await(m -> m.stream().anyMatch(x -> "offline".equals(x.body().path("status").asText())),
                            Duration.ofSeconds(15)), "the last will (offline) was not delivered: " + status.messages());

                    app = PackagedApp.start(log, props);
                    for (int i = 0; i < 40; i++) {
                        assertEquals(200, app.post("/api/v1/inspections?name=after-" + i, SinkScene.good(), "image/png")
                                .statusCode());
                    }
                    List<String> journal = journalIds(root.resolve("journal"));
                    assertTrue(verdicts.awaitIds(journal.size(), Duration.ofSeconds(60)),
                            "got " + verdicts.distinctIds().size() + " of " + journal.size());
                    assertEquals(journal, verdicts.distinctIds(), "every journaled outcome, first arrivals in journal order");
                    int duplicates = verdicts.messages().size() - verdicts.distinctIds().size();
                    System.out.printf("MqttCrashIT: %d outcomes journaled, all delivered; %d duplicate(s) after kill -9%n",
                            journal.size(), duplicates);
                    List<String> states = new ArrayList<>();
                    status.messages().forEach(m -> states.add(m.body().path("status").asText()));
                    assertEquals("online", states.get(states.size() - 1), "online again after the restart: " + states);
                } finally {
                    app.close();
                }
                assertTrue(status.await(m -> "offline".equals(m.get(m.size() - 1).body().path("status").asText()),
                        Duration.ofSeconds(10)), "a clean stop says offline");
            }
        }
    }

    private static List<String> journalIds(Path dir) throws IOException {
        List<String> ids = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().matches("journal-.*\\.jsonl")).sorted().toList()) {
                for (String line : Files.readAllLines(f)) {
                    JsonNode r = JSON.readTree(line);
                    ids.add(r.get("id").asText());
                }
            }
        }
        return ids;
    }
}
