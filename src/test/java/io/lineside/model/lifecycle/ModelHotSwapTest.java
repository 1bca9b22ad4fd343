package io.lineside.model.lifecycle;

import io.lineside.journal.Journal;
import io.lineside.journal.JournalEntry;
import io.lineside.journal.JournalRecord;
import io.lineside.model.ModelBundle;
import io.lineside.model.OnnxModelBuilder;
import io.lineside.scoring.TestImages;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static io.lineside.model.lifecycle.LifecycleProfile.KEY;
import static io.lineside.model.lifecycle.LifecycleProfile.MODEL_A;
import static io.lineside.model.lifecycle.LifecycleProfile.MODEL_B;
import static io.lineside.model.lifecycle.LifecycleProfile.MODEL_C;
import static io.lineside.model.lifecycle.LifecycleProfile.MODEL_FILE;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Hot swap (file and API) under load, every inspection answered and journaled with the model that scored it;
 * refusal of bad models while the old one serves; rollback; keys; upload limits.
 */
@QuarkusTest
@TestProfile(LifecycleProfile.class)
class ModelHotSwapTest {

    static final String A = ModelBundle.sha256(MODEL_A);
    static final String B = ModelBundle.sha256(MODEL_B);
    static final String C = ModelBundle.sha256(MODEL_C);
    static final byte[] IMAGE = TestImages.encode(TestImages.gray(64, 64, 3), "png");

    @TestHTTPResource("/api/v1/inspections")
    URI inspections;

    @Inject
    Journal journal;

    /** Each test starts on model A (a PUT of the model in service changes nothing). */
    @BeforeEach
    void onModelA() {
        given().header("X-API-Key", KEY).contentType("application/octet-stream").body(MODEL_A)
                .put("/api/v1/model").then().statusCode(200);
        assertEquals(A, servingSha());
    }

    static String servingSha() {
        return given().get("/api/v1/model").then().statusCode(200).extract().path("sha256");
    }

    static JsonPath model() {
        return given().get("/api/v1/model").then().statusCode(200).extract().jsonPath();
    }

    static double reloads(String outcome) {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        String series = "lineside_model_reload_total{outcome=\"" + outcome + "\"} ";
        return metrics.lines().filter(l -> l.startsWith(series)).mapToDouble(l -> Double.parseDouble(l.substring(series.length())))
                .findFirst().orElseThrow(() -> new AssertionError("no series " + series));
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    /** One inspection as a client saw it. */
    record Seen(int status, String sha256, String id) {
    }

    @Test
    void swapUnderLoadKeepsEveryInspectionSucceedingOnTheRightModel() throws Exception {
        double successesBefore = reloads("success");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        AtomicBoolean stop = new AtomicBoolean();
        Map<String, AtomicInteger> servedBy = new ConcurrentHashMap<>();
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<List<Seen>>> clients = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            clients.add(pool.submit(() -> {
                List<Seen> seen = new ArrayList<>();
                while (!stop.get()) {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(inspections)
                                    .header("Content-Type", "image/png")
                                    .POST(HttpRequest.BodyPublishers.ofByteArray(IMAGE)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    JsonPath json = JsonPath.from(r.body());
                    Seen one = new Seen(r.statusCode(), r.statusCode() == 200 ? json.getString("model.sha256") : r.body(),
                            r.statusCode() == 200 ? json.getString("id") : null);
                    seen.add(one);
                    servedBy.computeIfAbsent(one.sha256(), k -> new AtomicInteger()).incrementAndGet();
                }
                return seen;
            }));
        }
        try {
            await("inspections on model A", () -> servedBy.getOrDefault(A, new AtomicInteger()).get() >= 8);
            LifecycleProfile.replaceByRename(MODEL_FILE, MODEL_B);        // swap 1: the watched file
            await("the watcher to put model B in service", () -> B.equals(servingSha()));
            await("inspections on model B", () -> servedBy.getOrDefault(B, new AtomicInteger()).get() >= 8);
            given().header("X-API-Key", KEY).contentType("application/octet-stream").body(MODEL_C)
                    .put("/api/v1/model").then().statusCode(200)         // swap 2: the API
                    .body("reload.outcome", equalTo("success"))
                    .body("model.sha256", equalTo(C));
            await("inspections on model C", () -> servedBy.getOrDefault(C, new AtomicInteger()).get() >= 8);
        } finally {
            stop.set(true);
            pool.shutdown();
        }
        assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));

        List<Seen> all = new ArrayList<>();
        for (Future<List<Seen>> client : clients) {
            List<Seen> seen = client.get();
            all.addAll(seen);
            // Per client, requests are sequential: once one was served by a newer model, no later one is older.
            List<Integer> order = seen.stream().map(s -> List.of(A, B, C).indexOf(s.sha256())).toList();
            List<Integer> sorted = new ArrayList<>(order);
            Collections.sort(sorted);
            assertEquals(sorted, order, "a client saw the models in swap order");
        }
        List<Seen> failed = all.stream().filter(s -> s.status() != 200).toList();
        assertEquals(List.of(), failed, "every inspection during the swaps succeeded");
        for (Seen seen : all) {
            JournalRecord record = journal.findById(seen.id()).map(JournalEntry::record)
                    .orElseThrow(() -> new AssertionError("inspection " + seen.id() + " is not in the journal"));
            assertEquals(seen.sha256(), record.modelSha256(), "journaled with the model that answered, " + seen.id());
        }
        assertTrue(all.stream().anyMatch(s -> s.sha256().equals(A)), "served by A before the swaps");
        assertTrue(all.stream().anyMatch(s -> s.sha256().equals(B)), "served by B between the swaps");
        assertTrue(all.stream().anyMatch(s -> s.sha256().equals(C)), "served by C after the swaps");
        assertEquals(C, servingSha());
        assertEquals(successesBefore + 2, reloads("success"), 0);
        assertTrue(Files.readAllBytes(MODEL_FILE).length == MODEL_C.length
                && C.equals(ModelBundle.sha256(Files.readAllBytes(MODEL_FILE))), "PUT wrote the model file, so a restart serves C");
        String metrics = given().get("/q/metrics").then().extract().asString();
        assertTrue(metrics.contains("sha256=\"" + C + "\""), "lineside_model_info follows the swap");
        assertTrue(!metrics.contains("sha256=\"" + A + "\""), "the old model's info series is gone");
    }

    @Test
    void badModelFileIsRefusedWhileTheOldOneKeepsServing() throws Exception {
        double invalidBefore = reloads("invalid");
        byte[] garbage = "this is not an ONNX model".getBytes();
        LifecycleProfile.replaceByRename(MODEL_FILE, garbage);
        await("the refusal of the bad file", () -> ModelBundle.sha256(garbage).equals(model().getString("lastReload.sha256")));
        JsonPath model = model();
        assertEquals("invalid", model.getString("lastReload.outcome"));
        assertEquals("file", model.getString("lastReload.trigger"));
        assertTrue(model.getString("lastReload.message").contains("keeps serving"), model.getString("lastReload.message"));
        assertEquals(A, model.getString("sha256"));
        assertEquals(invalidBefore + 1, reloads("invalid"), 0);
        given().contentType("image/png").body(IMAGE).post("/api/v1/inspections")
                .then().statusCode(200).body("model.sha256", equalTo(A));
        Thread.sleep(400);
        assertEquals(invalidBefore + 1, reloads("invalid"), 0, "the same bad file is not retried over and over");

        // A model that loads but breaks the contract: refused with the reason, through the API too.
        byte[] wrongShape = OnnxModelBuilder.valid(1, 32, 32).with("lineside.input.width", "48").build();
        given().header("X-API-Key", KEY).contentType("application/octet-stream").body(wrongShape)
                .put("/api/v1/model").then().statusCode(422)
                .body("error", equalTo("invalid-model"))
                .body("detail", containsString("metadata says input"));
        assertEquals(invalidBefore + 2, reloads("invalid"), 0);
        assertEquals(A, servingSha());
        given().contentType("image/png").body(IMAGE).post("/api/v1/inspections")
                .then().statusCode(200).body("model.sha256", equalTo(A));
        LifecycleProfile.replaceByRename(MODEL_FILE, MODEL_A);
    }

    @Test
    void rollbackRestoresThePreviousModelAndASecondRollbackUndoesIt() {
        double rollbacksBefore = reloads("rollback");
        given().header("X-API-Key", KEY).contentType("application/octet-stream").body(MODEL_B)
                .put("/api/v1/model").then().statusCode(200).body("model.sha256", equalTo(B));
        given().get("/api/v1/model").then().body("previous.sha256", equalTo(A));
        given().header("X-API-Key", KEY).post("/api/v1/model/rollback").then().statusCode(200)
                .body("reload.outcome", equalTo("rollback"))
                .body("model.sha256", equalTo(A));
        given().contentType("image/png").body(IMAGE).post("/api/v1/inspections")
                .then().statusCode(200).body("model.sha256", equalTo(A));
        given().get("/api/v1/model").then().body("lastReload.outcome", equalTo("rollback")).body("previous.sha256", equalTo(B));
        given().header("X-API-Key", KEY).post("/api/v1/model/rollback").then().statusCode(200)
                .body("model.sha256", equalTo(B));
        assertEquals(rollbacksBefore + 2, reloads("rollback"), 0);
    }

    @Test
    void modelChangesNeedTheKey() {
        for (String key : new String[]{null, "", "wrong-key", KEY + "x"}) {
            var put = given().contentType("application/octet-stream").body(MODEL_B);
            var rollback = given();
            if (key != null) {
                put.header("X-API-Key", key);
                rollback.header("X-API-Key", key);
            }
            put.put("/api/v1/model").then().statusCode(401).body("error", containsString("api-key"));
            rollback.post("/api/v1/model/rollback").then().statusCode(401).body("error", containsString("api-key"));
        }
        assertEquals(A, servingSha());
    }

    @Test
    void uploadsAreSizeLimited() {
        byte[] tooBig = new byte[256 * 1024 + 1];
        given().header("X-API-Key", KEY).contentType("application/octet-stream").body(tooBig)
                .put("/api/v1/model").then().statusCode(413)
                .body("error", equalTo("too-large"))
                .body("detail", containsString("lineside.model.max-upload"));
        given().header("X-API-Key", KEY).contentType("application/octet-stream").body(new byte[0])
                .put("/api/v1/model").then().statusCode(400).body("error", equalTo("empty-body"));
        assertEquals(A, servingSha());
    }
}
