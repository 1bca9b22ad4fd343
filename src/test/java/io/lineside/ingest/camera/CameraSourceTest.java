package io.lineside.ingest.camera;

import io.lineside.ingest.camera.SnapshotServer.Behaviour;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The camera source inside the running appliance, against a real HTTP camera with Digest
 * authentication: polling feeds the pipeline, faults show in metrics and the camera health group
 * (never in readiness), nothing blocks the API, and the password shows nowhere.
 */
@QuarkusTest
@TestProfile(CameraProfile.class)
class CameraSourceTest {

    private static final String CAM = CameraTestResource.CAMERA_NAME;
    private static final Duration SOON = Duration.ofSeconds(10);
    private static final List<String> LOG = new CopyOnWriteArrayList<>();
    private static final Handler CAPTURE = new Handler() {
        @Override
        public void publish(LogRecord record) {
            String text = record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : record.getMessage();
            LOG.add(text + (record.getThrown() == null ? "" : " " + record.getThrown()));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    private final SnapshotServer camera = CameraTestResource.camera();

    @BeforeAll
    static void captureLogs() {
        Logger.getLogger("").addHandler(CAPTURE);
    }

    @AfterAll
    static void releaseLogs() {
        Logger.getLogger("").removeHandler(CAPTURE);
    }

    @AfterEach
    void cameraBackToNormal() {
        camera.behave(Behaviour.FRAMES);
    }

    private static double fetches(String outcome) {
        return Scrape.count("lineside_camera_fetch_total", "camera", CAM, "outcome", outcome);
    }

    @Test
    void cameraIsPolledWithDigestAndReportsUp() {
        camera.behave(Behaviour.FRAMES).frame(TestFrames.jpeg(21));
        Eventually.within(SOON, () -> {
            assertEquals(1.0, Scrape.value("lineside_camera_up", "camera", CAM).orElse(-1));
            assertTrue(Scrape.value("lineside_camera_last_success_timestamp_seconds", "camera", CAM).orElse(0) > 0);
        });
        assertTrue(camera.acceptedSchemes.contains("Digest"));
        given().get("/q/health/group/camera").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks[0].data.camera", equalTo(CAM))
                .body("checks[0].data.mode", equalTo("polling"));
        given().get("/api/v1/camera").then().statusCode(200)
                .body("camera", equalTo(CAM))
                .body("up", equalTo(true))
                .body("url", equalTo(camera.uri().toString()));
    }

    /**
     * Serves {@code frame} so that the poller sees it as new whatever it saw before: first a unique
     * junk frame (rejected by the pipeline), which replaces the poller's memory of the last frame.
     */
    private void serveFresh(byte[] frame) {
        double rejected = Scrape.sum("lineside_rejected_total", "source", CAM);
        byte[] junk = new byte[512];
        new java.util.Random().nextBytes(junk);
        junk[0] = 'x';
        camera.behave(Behaviour.FRAMES).frame(junk);
        Eventually.within(SOON, () -> assertTrue(Scrape.sum("lineside_rejected_total", "source", CAM) > rejected));
        camera.frame(frame);
    }

    private static double inspections(String verdict) {
        return Scrape.count("lineside_inspections_total", "source", CAM, "verdict", verdict);
    }

    @Test
    void eachNewSampleFrameIsInspectedOnceUnderTheCameraName() {
        for (String[] kind : new String[][] {{"good", "good"}, {"defect", "defect"}}) {
            for (byte[] sample : Samples.of(kind[0])) {
                double before = inspections(kind[1]);
                serveFresh(sample);
                Eventually.within(SOON, () -> assertEquals(before + 1, inspections(kind[1]), kind[0] + " sample"));
            }
        }
        double good = inspections("good");
        double defect = inspections("defect");
        Eventually.within(SOON, () -> assertTrue(fetches("unchanged") >= 3));
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        assertEquals(good, inspections("good"), "an unchanged frame is not inspected again");
        assertEquals(defect, inspections("defect"));
    }

    @Test
    void triggerWithoutTheApiKeyIsRefused() {
        given().post("/api/v1/camera/trigger").then().statusCode(401)
                .contentType("application/json").body("error", equalTo("missing-api-key"));
        given().header("X-API-Key", "wrong").post("/api/v1/camera/trigger").then().statusCode(401)
                .body("error", equalTo("invalid-api-key"));
    }

    @Test
    void triggerAnswersAsTheInspectionsApiDoes() {
        byte[] good = Samples.of("good").get(0);
        byte[] defect = Samples.of("defect").get(0);
        camera.behave(Behaviour.FRAMES).frame(good);
        Response viaApi = given().contentType("application/octet-stream").body(good).post("/api/v1/inspections");
        viaApi.then().statusCode(200);
        Response triggered = given().header("X-API-Key", CameraProfile.KEY).post("/api/v1/camera/trigger");
        triggered.then().statusCode(200)
                .contentType("application/json")
                .header("X-Inspection-Id", org.hamcrest.Matchers.notNullValue())
                .body("source", equalTo(CAM))
                .body("verdict", equalTo("GOOD"))
                .body("name", org.hamcrest.Matchers.matchesPattern(CAM + "-\\d{8}-\\d{6}\\.\\d{3}-trigger(\\.\\w+)?"))
                .body("model.sha256", equalTo(viaApi.path("model.sha256")))
                .body("threshold", equalTo(viaApi.<Float>path("threshold")))
                .body("timingsMs.total", org.hamcrest.Matchers.greaterThan(0f));
        assertEquals(viaApi.jsonPath().getMap("$").keySet(), triggered.jsonPath().getMap("$").keySet(), "same JSON as the API");
        assertEquals(viaApi.jsonPath().getDouble("score"), triggered.jsonPath().getDouble("score"), 1e-9,
                "the same image scores the same through the camera");

        camera.frame(defect);
        given().header("X-API-Key", CameraProfile.KEY).post("/api/v1/camera/trigger").then().statusCode(200).body("verdict", equalTo("DEFECT"));
    }

    @Test
    void inspectionsResumeWhenTheCameraComesBack() {
        camera.behave(Behaviour.ERROR_500);
        Eventually.within(SOON, () -> assertEquals(0.0, Scrape.value("lineside_camera_up", "camera", CAM).orElse(-1)));
        double before = inspections("defect");
        serveFresh(Samples.of("defect").get(0));
        Eventually.within(SOON, () -> assertEquals(before + 1, inspections("defect")));
        assertEquals(1.0, Scrape.value("lineside_camera_up", "camera", CAM).orElse(-1));
    }

    @Test
    void unchangedFramesAreSkipped() {
        double before = fetches("ok");
        serveFresh(Samples.of("good").get(0));
        // The junk frame and then the sample were fetched: from here on the frame does not change.
        Eventually.within(SOON, () -> assertTrue(fetches("ok") >= before + 2));
        double unchanged = fetches("unchanged");
        double ok = fetches("ok");
        Eventually.within(SOON, () -> assertTrue(fetches("unchanged") >= unchanged + 3));
        assertEquals(ok, fetches("ok"), "the same frame is fetched as 304, not inspected again");
    }

    @Test
    void cameraFaultsShowInTheGroupButNeverInReadiness() {
        camera.behave(Behaviour.ERROR_500);
        Eventually.within(SOON, () -> given().get("/q/health/group/camera").then().statusCode(503)
                .body("status", equalTo("DOWN"))
                .body("checks[0].data.lastOutcome", equalTo("http_5xx")));
        assertEquals(0.0, Scrape.value("lineside_camera_up", "camera", CAM).orElse(-1));
        assertTrue(fetches("http_5xx") >= 1);
        given().get("/q/health/ready").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", not(hasItem("camera")));

        camera.behave(Behaviour.FRAMES).frame(TestFrames.jpeg(23));
        Eventually.within(SOON, () -> given().get("/q/health/group/camera").then().statusCode(200));
        assertEquals(1.0, Scrape.value("lineside_camera_up", "camera", CAM).orElse(-1));
    }

    @Test
    void aHangingCameraBlocksNeitherTheApiNorTheTriggerBeyondItsTimeout() {
        camera.behave(Behaviour.HANG);
        Eventually.within(SOON, () -> assertTrue(fetches("timeout") >= 1));
        for (int i = 0; i < 5; i++) {
            long start = System.nanoTime();
            given().get("/q/health/live").then().statusCode(200);
            given().get("/api/v1/camera").then().statusCode(200);
            assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() < 500, "the API waited on the camera");
        }
        long start = System.nanoTime();
        given().header("X-API-Key", CameraProfile.KEY).post("/api/v1/camera/trigger").then().statusCode(503)
                .contentType("application/json")
                .body("error", equalTo("camera-timeout"));
        // At most a poll in flight (one timeout) and the trigger's own fetch (one timeout).
        assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() < 2 * 800 + 1000);
    }

    @Test
    void triggerOnAFailingCameraIs503WithTheReason() {
        camera.behave(Behaviour.HTML);
        given().header("X-API-Key", CameraProfile.KEY).post("/api/v1/camera/trigger").then().statusCode(503)
                .contentType("application/json")
                .body("error", equalTo("camera-not-image"))
                .body("detail", org.hamcrest.Matchers.containsString("text/html"));
    }

    @Test
    void garbageFromTheCameraIsRejectedWithAReason() {
        double before = Scrape.count("lineside_rejected_total", "source", CAM, "reason", "not-an-image");
        camera.behave(Behaviour.GARBAGE);
        given().header("X-API-Key", CameraProfile.KEY).post("/api/v1/camera/trigger").then().statusCode(502)
                .contentType("application/json")
                .body("error", equalTo("not-an-image"));
        Eventually.within(SOON, () -> assertTrue(
                Scrape.count("lineside_rejected_total", "source", CAM, "reason", "not-an-image") >= before + 1));
    }

    @Test
    void thePasswordAppearsNowhere() {
        camera.behave(Behaviour.REDIRECT_LOOP);
        Eventually.within(SOON, () -> assertTrue(fetches("redirect_loop") >= 1));
        camera.behave(Behaviour.FRAMES);
        List<String> outputs = List.of(
                Scrape.text(),
                given().get("/q/health/group/camera").asString(),
                given().get("/q/health").asString(),
                given().get("/api/v1/camera").asString(),
                given().header("X-API-Key", CameraProfile.KEY).post("/api/v1/camera/trigger").asString(),
                given().get("/q/openapi").asString(),
                String.join("\n", LOG));
        for (String output : outputs) {
            assertFalse(output.contains(CameraTestResource.PASSWORD), output);
        }
        assertFalse(LOG.isEmpty(), "the camera's failures were logged");
    }
}
