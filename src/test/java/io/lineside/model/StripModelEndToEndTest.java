package io.lineside.model;

import io.lineside.history.HeatReader;
import io.lineside.history.HeatmapRenderer;
import io.lineside.ingest.camera.SnapshotServer;
import io.lineside.scoring.TestImages;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A non-square format-2 model end to end in the packaged application: a 3-channel 640 x 256 strip model
 * (anomaly_map 160 x 64, {@code lineside.map.max} 0.5) behind a region of interest set in the appliance's
 * configuration ({@code lineside.roi} = 80,32,640,256 overriding the model's own), fed by the watched
 * folder, the API and a real HTTP camera. Parts are 800 x 320 images of a dark surface (grey 26); a
 * defect is a white 24 x 24 square. The model's map is |image - 0.1| pooled 4 x 4 and its score the map's
 * maximum, so the expected score and the hot spot are known exactly.
 */
@QuarkusTest
@TestProfile(StripModelEndToEndTest.StripProfile.class)
class StripModelEndToEndTest {
    static final Path DIR = Path.of("target", "test-data", "strip-" + UUID.randomUUID()).toAbsolutePath();
    static final Path MODEL_FILE = DIR.resolve("models/strip.onnx");
    static final String KEY = "strip-test-key-8c1f";
    static final int IMAGE_W = 800;
    static final int IMAGE_H = 320;
    static final int BACKGROUND = 26;
    /** The defect square, in image pixels. */
    static final int DEFECT_X = 500;
    static final int DEFECT_Y = 150;
    static final int DEFECT_SIZE = 24;
    /** A full 4 x 4 cell of white: |1 - 0.1|. */
    static final double DEFECT_SCORE = 0.9;
    static final double THRESHOLD = 0.3;
    static final byte[] STRIP_MODEL = OnnxModelBuilder.format2(3, 256, 640)
            .withReconstruction()
            .with("lineside.map.max", "0.5")
            .with("lineside.input.roi", "0,0,640,256")
            .with("lineside.threshold", String.valueOf(THRESHOLD))
            .with("lineside.calibration.median", "0.002")
            .with("lineside.model.name", "strip")
            .build();

    public static class StripProfile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Files.createDirectories(MODEL_FILE.getParent());
                Files.write(MODEL_FILE, STRIP_MODEL);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return Map.ofEntries(
                    Map.entry("lineside.model.path", MODEL_FILE.toString()),
                    Map.entry("lineside.model.watch-interval", "100ms"),
                    Map.entry("lineside.roi", "80,32,640,256"),
                    Map.entry("lineside.api.keys", KEY),
                    Map.entry("lineside.journal.path", DIR.resolve("journal").toString()),
                    Map.entry("lineside.retention.path", DIR.resolve("images").toString()),
                    Map.entry("lineside.calibration.root", DIR.resolve("calibration").toString()),
                    Map.entry("lineside.calibration.state-file", DIR.resolve("threshold.json").toString()),
                    Map.entry("lineside.folder.path", DIR.resolve("inbox").toString()),
                    Map.entry("lineside.folder.archive", DIR.resolve("archive").toString()),
                    Map.entry("lineside.folder.poll-interval", "100ms"),
                    Map.entry("lineside.folder.settle", "200ms"),
                    Map.entry("lineside.camera.interval", "0"),
                    Map.entry("lineside.camera.name", "strip-cam"));
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(StripCamera.class));
        }
    }

    /** A real HTTP camera serving a JPEG of a defective strip, started before the application. */
    public static class StripCamera implements QuarkusTestResourceLifecycleManager {
        static volatile SnapshotServer camera;

        @Override
        public Map<String, String> start() {
            try {
                camera = SnapshotServer.start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            camera.frame(TestImages.encode(part(true), "jpeg"));
            return Map.of("lineside.camera.url", camera.uri().toString());
        }

        @Override
        public void stop() {
            if (camera != null) {
                camera.close();
            }
        }
    }

    /** An 800 x 320 RGB part: dark surface, with the white defect square when asked. */
    static BufferedImage part(boolean defect) {
        return part(IMAGE_W, IMAGE_H, defect ? 255 : BACKGROUND);
    }

    static BufferedImage part(int width, int height, int squareGrey) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        var g = image.createGraphics();
        g.setColor(new Color(BACKGROUND, BACKGROUND, BACKGROUND));
        g.fillRect(0, 0, width, height);
        g.setColor(new Color(squareGrey, squareGrey, squareGrey));
        g.fillRect(DEFECT_X, DEFECT_Y, DEFECT_SIZE, DEFECT_SIZE);
        g.dispose();
        return image;
    }

    static byte[] png(BufferedImage image) {
        return TestImages.encode(image, "png");
    }

    static <T> T await(String what, Supplier<Optional<T>> probe) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 20_000;
        while (true) {
            Optional<T> found = probe.get();
            if (found.isPresent()) {
                return found.get();
            }
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }

    /** The journaled record of a folder image, by name, once it is there. */
    static Map<String, Object> folderRecord(String name) throws InterruptedException {
        return await(name + " in the journal", () -> {
            List<Map<String, Object>> items = given().queryParam("source", "folder").queryParam("limit", 100)
                    .get("/api/v1/inspections").then().statusCode(200).extract().jsonPath().getList("items");
            return items.stream().filter(i -> name.equals(i.get("name"))).findFirst();
        });
    }

    /** The heatmap of an inspection, checked for size, with its hottest 10 x 10 spot's centre. */
    static int[] hotSpot(String id, BufferedImage original) throws Exception {
        return HeatReader.hottest(heat(id, original), 2, 5, HeatmapRenderer.scaleBarHeight(IMAGE_W, IMAGE_H));
    }

    /** The heat read back from an inspection's heatmap (every 2nd pixel), checked for size and dimming. */
    static double[][] heat(String id, BufferedImage original) throws Exception {
        byte[] png = await("heatmap of " + id, () -> {
            Response r = given().get("/api/v1/inspections/" + id + "/heatmap.png");
            return r.statusCode() == 200 ? Optional.of(r.asByteArray()) : Optional.empty();
        });
        BufferedImage heat = ImageIO.read(new ByteArrayInputStream(png));
        assertEquals(IMAGE_W, heat.getWidth(), "heatmap of the image's size");
        assertEquals(IMAGE_H, heat.getHeight());
        // Outside the region of interest (x < 80): the plain part, dimmed, no colour.
        int outside = heat.getRGB(20, 10);
        int dimmed = (int) Math.round(BACKGROUND * 0.45);
        assertTrue(Math.abs(((outside >> 16) & 0xFF) - dimmed) <= 1 && Math.abs((outside & 0xFF) - dimmed) <= 1,
                "outside the region: dimmed grey, got " + Integer.toHexString(outside));
        return HeatReader.heat(original, heat, 2);
    }

    static void assertHotAtTheDefect(int[] hot) {
        double cx = DEFECT_X + DEFECT_SIZE / 2.0;
        double cy = DEFECT_Y + DEFECT_SIZE / 2.0;
        assertTrue(Math.abs(hot[0] - cx) <= 8 && Math.abs(hot[1] - cy) <= 8,
                "hottest at (" + hot[0] + "," + hot[1] + "), the defect is centred at (" + cx + "," + cy + ")");
    }

    @Test
    void theWatchedFolderJudgesStripsByTheGraphsScoreAndTheHeatmapGlowsWhereTheDefectWas() throws Exception {
        Path inbox = DIR.resolve("inbox");
        Files.createDirectories(inbox);
        BufferedImage defect = part(true);
        drop(inbox, "strip-good.png", png(part(false)));
        drop(inbox, "strip-defect.png", png(defect));
        // 640 x 256: smaller than the region 80,32,640,256 reaches (720 x 288).
        drop(inbox, "strip-uncropped.png", png(part(640, 256, BACKGROUND)));

        Map<String, Object> good = folderRecord("strip-good.png");
        Map<String, Object> bad = folderRecord("strip-defect.png");
        Map<String, Object> outside = folderRecord("strip-uncropped.png");
        assertEquals("GOOD", good.get("verdict"));
        assertEquals(Math.abs(BACKGROUND / 255.0 - 0.1), ((Number) good.get("score")).doubleValue(), 1e-5);
        assertEquals("DEFECT", bad.get("verdict"));
        assertEquals(DEFECT_SCORE, ((Number) bad.get("score")).doubleValue(), 1e-5, "the graph's score, as it is");
        assertEquals(THRESHOLD, ((Number) bad.get("threshold")).doubleValue(), 1e-7);
        assertEquals(Boolean.TRUE, outside.get("rejected"));
        assertEquals("roi-outside-image", outside.get("reason"));
        assertTrue(String.valueOf(outside.get("detail")).contains("lineside.roi"), String.valueOf(outside.get("detail")));

        await("the rejected file in the archive", () -> {
            try (Stream<Path> files = Files.walk(DIR.resolve("archive"))) {
                return files.filter(p -> p.getFileName().toString().equals("strip-uncropped.png"))
                        .filter(p -> p.startsWith(DIR.resolve("archive/rejected"))).findFirst();
            } catch (IOException e) {
                return Optional.empty();
            }
        });

        assertHotAtTheDefect(hotSpot((String) bad.get("id"), HeatmapRenderer.decodeRgb(png(defect))));
        // A good part's heatmap is computed on request with the same model: calm all over the region
        // (its map, 0.002, is drawn on the model's scale 0..0.5, not stretched to its own maximum).
        double[][] calm = heat((String) good.get("id"), HeatmapRenderer.decodeRgb(png(part(false))));
        int barRows = HeatmapRenderer.scaleBarHeight(IMAGE_W, IMAGE_H) / 2 + 1;
        for (int r = 32 / 2; r < calm.length - barRows; r++) {
            for (int c = 80 / 2; c < 720 / 2; c++) {
                assertTrue(calm[r][c] < 0.05, "a good part stays cold, heat " + calm[r][c] + " at (" + 2 * c + "," + 2 * r + ")");
            }
        }
    }

    @Test
    void theApiAnswersWithTheGraphsScoreAndTheModelDescribesItsOutputs() throws Exception {
        BufferedImage defect = part(true);
        JsonPath answer = given().contentType("image/png").body(png(defect)).post("/api/v1/inspections?name=strip-api")
                .then().statusCode(200)
                .body("verdict", equalTo("DEFECT"))
                .body("model.name", equalTo("strip"))
                .extract().jsonPath();
        assertEquals(DEFECT_SCORE, answer.getDouble("score"), 1e-5, "the graph's score, as it is");
        assertTrue(answer.getDouble("timingsMs.infer") >= 0 && answer.getDouble("timingsMs.score") >= 0);
        assertHotAtTheDefect(hotSpot(answer.getString("id"), HeatmapRenderer.decodeRgb(png(defect))));

        given().get("/api/v1/model").then().statusCode(200)
                .body("format", equalTo(2))
                .body("input.shape", equalTo(List.of(1, 3, 256, 640)))
                .body("outputs.score", equalTo(List.of(1)))
                .body("outputs.anomaly_map", equalTo(List.of(1, 1, 64, 160)))
                .body("outputs.reconstruction", equalTo(List.of(1, 3, 256, 640)))
                .body("score.computedBy", equalTo("graph"))
                .body("score.function", equalTo("max-pool"))
                .body("mapMax", equalTo(0.5f))
                .body("roi.roi", equalTo("80,32,640,256"))
                .body("roi.x", equalTo(80))
                .body("roi.height", equalTo(256))
                .body("roi.source", equalTo("config"))
                .body("metadata.'lineside.input.roi'", equalTo("0,0,640,256"));

        // The optional reconstruction (this graph's: its input) at model resolution, of the region of interest:
        // the square, at (500, 150) in the image, is at (420, 118) in the region 80,32,640,256.
        BufferedImage reconstruction = ImageIO.read(new ByteArrayInputStream(given()
                .get("/api/v1/inspections/" + answer.getString("id") + "/reconstruction.png")
                .then().statusCode(200).contentType("image/png").extract().asByteArray()));
        assertEquals(640, reconstruction.getWidth());
        assertEquals(256, reconstruction.getHeight());
        assertEquals(0xFFFFFF, reconstruction.getRGB(420 + 12, 118 + 12) & 0xFFFFFF, "the white square");
        assertEquals(BACKGROUND * 0x010101, reconstruction.getRGB(10, 10) & 0xFFFFFF, "the dark surface");

        // Stats consume the score whatever the format.
        given().get("/api/v1/stats?window=5m").then().statusCode(200)
                .body("score.count", org.hamcrest.Matchers.greaterThanOrEqualTo(1));
    }

    @Test
    void aCameraFrameOfAStripIsInspectedAndItsHeatmapGlowsAtTheDefect() throws Exception {
        JsonPath answer = given().header("X-API-Key", KEY).post("/api/v1/camera/trigger")
                .then().statusCode(200)
                .body("source", equalTo("strip-cam"))
                .body("verdict", equalTo("DEFECT"))
                .extract().jsonPath();
        assertEquals(DEFECT_SCORE, answer.getDouble("score"), 0.05, "JPEG blurs the square's edges a little");
        BufferedImage sent = HeatmapRenderer.decodeRgb(TestImages.encode(part(true), "jpeg"));
        assertHotAtTheDefect(hotSpot(answer.getString("id"), sent));
    }

    @Test
    void recalibrationScoresGoodStripsWithTheGraphAndSetsTheOrderStatistic() {
        // Ten good parts with a faint square of grey 26 + 8 i: scores (26 + 8 i)/255 - 0.1, i = 1..10.
        var request = given().header("X-API-Key", KEY);
        for (int i = 1; i <= 10; i++) {
            request = request.multiPart("image", "good-" + i + ".png", png(part(IMAGE_W, IMAGE_H, BACKGROUND + 8 * i)),
                    "image/png");
        }
        // alpha 0.1, n 10: k = ceil(11 * 0.9) = 10, the largest score.
        JsonPath report = request.post("/api/v1/model/calibration?alpha=0.1").then().statusCode(200)
                .body("n", equalTo(10))
                .body("k", equalTo(10))
                .body("applied", equalTo(false))
                .extract().jsonPath();
        assertEquals((BACKGROUND + 80) / 255.0 - 0.1, report.getDouble("newThreshold"), 1e-5);
        assertEquals((BACKGROUND + 8) / 255.0 - 0.1, report.getDouble("scores.min"), 1e-5);
        assertEquals(THRESHOLD, report.getDouble("oldThreshold"), 1e-7);
    }

    @Test
    void badFormat2ModelsAreRefusedByTheApiAndTheWatcherWhileTheStripModelKeepsServing() throws Exception {
        String serving = given().get("/api/v1/model").then().extract().path("sha256");
        given().header("X-API-Key", KEY).contentType("application/octet-stream")
                .body(OnnxModelBuilder.format2(3, 256, 640).withoutMap().build())
                .put("/api/v1/model").then().statusCode(422)
                .body("error", equalTo("invalid-model"))
                .body("detail", containsString("no output named 'anomaly_map'"));
        given().header("X-API-Key", KEY).contentType("application/octet-stream")
                .body(OnnxModelBuilder.format2(3, 256, 640).nanScore().build())
                .put("/api/v1/model").then().statusCode(422)
                .body("error", equalTo("invalid-model"))
                .body("detail", containsString("non-finite score"));

        // The same through the watched file: refused, shown as lastReload, the old model keeps serving.
        Path next = MODEL_FILE.resolveSibling(".strip.onnx.new");
        Files.write(next, OnnxModelBuilder.format2(3, 256, 640).scoreOfWrongRank().build());
        Files.move(next, MODEL_FILE, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        String message = await("the watcher's refusal", () -> {
            JsonPath model = given().get("/api/v1/model").then().statusCode(200).extract().jsonPath();
            String m = model.getString("lastReload.message");
            return "file".equals(model.getString("lastReload.trigger")) && "invalid".equals(model.getString("lastReload.outcome"))
                    ? Optional.of(m) : Optional.empty();
        });
        assertTrue(message.contains("'score' has shape [1, 1, 1, 1] (rank 4)"), message);
        given().get("/api/v1/model").then().body("sha256", equalTo(serving)).body("format", equalTo(2));
        given().contentType("image/png").body(png(part(true))).post("/api/v1/inspections")
                .then().statusCode(200).body("verdict", equalTo("DEFECT"));
        Files.write(next, STRIP_MODEL);
        Files.move(next, MODEL_FILE, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void drop(Path inbox, String name, byte[] bytes) throws IOException {
        Path tmp = inbox.resolve("." + name + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, inbox.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }
}
