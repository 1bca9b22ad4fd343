package io.lineside.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The live stream, read by a real HTTP client as a browser's EventSource would. */
@QuarkusTest
@TestProfile(HistoryTestProfile.class)
class HistoryStreamTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TestHTTPResource("/api/v1/inspections/stream")
    URI stream;

    @Test
    void everyNewVerdictArrivesAsOneJsonEvent() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        HttpResponse<Stream<String>> response = client.send(HttpRequest.newBuilder(stream)
                .header("Accept", "text/event-stream").timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"),
                response.headers().toString());
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> response.body().forEach(lines::add));
        try {
            String good = HistoryApiTest.post(Samples.goodSample(), "streamed-good");
            String junk = HistoryApiTest.post("not an image".getBytes(), "streamed-junk");

            List<JsonNode> events = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (events.size() < 2 && System.nanoTime() < deadline) {
                String line = lines.poll(200, TimeUnit.MILLISECONDS);
                if (line != null && line.startsWith("data:")) {
                    JsonNode event = JSON.readTree(line.substring(5).trim());
                    if (event.path("name").asText().startsWith("streamed-")) {
                        events.add(event);
                    }
                }
            }
            assertEquals(2, events.size(), "one event per verdict, got " + events);
            JsonNode first = events.get(0);
            assertEquals(good, first.path("id").asText());
            assertEquals("api", first.path("source").asText());
            assertTrue(first.path("verdict").asText().matches("GOOD|DEFECT"), first.toString());
            assertTrue(first.path("score").isNumber() && first.path("threshold").isNumber(), first.toString());
            assertTrue(first.path("imageKept").asBoolean(), "the page may ask for its image at once: " + first);
            assertNotNull(first.path("time").asText(null));
            JsonNode second = events.get(1);
            assertEquals(junk, second.path("id").asText());
            assertTrue(second.path("rejected").asBoolean());
            assertEquals("not-an-image", second.path("reason").asText());
        } finally {
            reader.cancel(true);
            response.body().close();
        }
    }
}
