package io.lineside.calibration;

import io.lineside.model.ModelBundle;
import io.lineside.model.lifecycle.LifecycleProfile;
import io.lineside.scoring.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.restassured.path.json.config.JsonPathConfig;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static io.lineside.model.lifecycle.LifecycleProfile.CALIBRATION_ROOT;
import static io.lineside.model.lifecycle.LifecycleProfile.KEY;
import static io.lineside.model.lifecycle.LifecycleProfile.STATE_FILE;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Recalibration through the API: the figures are the trainer's order statistic over exactly the scores
 * the inspection pipeline gives the same images; apply and persistence; path and upload limits; keys.
 */
@QuarkusTest
@TestProfile(LifecycleProfile.class)
class CalibrationApiTest {

    private static int models;
    /** A fresh model for each test, so thresholds and "would change verdict" counts cover only that test. */
    byte[] model;
    String sha;
    static final int N = 24;
    static final List<byte[]> GOOD = new ArrayList<>();

    static {
        for (int i = 0; i < N; i++) {
            GOOD.add(png(noise(32, 32, i, 0.2 + 0.8 * i / N)));
        }
    }

    /** Gray noise whose contrast (and so score) grows with {@code amplitude}. */
    static BufferedImage noise(int width, int height, long seed, double amplitude) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        Random random = new Random(seed);
        WritableRaster raster = image.getRaster();
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                raster.setSample(x, y, 0, (int) Math.round(128 + amplitude * 127 * (2 * random.nextDouble() - 1)));
            }
        }
        return image;
    }

    static byte[] png(BufferedImage image) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(image, "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** JSON with numbers as doubles (RestAssured's default, float, loses the digits compared here). */
    static JsonPath json(String body) {
        return JsonPath.from(body).using(new JsonPathConfig(JsonPathConfig.NumberReturnType.DOUBLE));
    }

    static RequestSpecification withKey() {
        return given().header("X-API-Key", KEY);
    }

    @BeforeEach
    void ownModelAndGoodFolder() throws IOException {
        model = LifecycleProfile.model("calibration-" + ++models);
        sha = ModelBundle.sha256(model);
        withKey().contentType("application/octet-stream").body(model).put("/api/v1/model").then().statusCode(200)
                .body("reload.outcome", equalTo("success"));
        Path good = Files.createDirectories(CALIBRATION_ROOT.resolve("line3/good"));
        for (int i = 0; i < N; i++) {
            Files.write(good.resolve(String.format("part-%02d.png", i)), GOOD.get(i));
        }
        Files.writeString(good.resolve("README.txt"), "not an image, skipped");
    }

    /** Scores of the good images as inspections give them, with each inspection's verdict. */
    double[] inspect(List<byte[]> images, List<String> verdicts) {
        double[] scores = new double[images.size()];
        for (int i = 0; i < images.size(); i++) {
            JsonPath r = json(given().contentType("image/png").body(images.get(i)).post("/api/v1/inspections")
                    .then().statusCode(200).extract().asString());
            assertEquals(sha, r.getString("model.sha256"));
            scores[i] = r.getDouble("score");
            verdicts.add(r.getString("verdict"));
        }
        return scores;
    }

    @Test
    void folderCalibrationIsTheTrainersOrderStatisticOfThePipelineScores() {
        List<String> verdicts = new ArrayList<>();
        double[] scores = inspect(GOOD, verdicts);
        double[] sorted = scores.clone();
        Arrays.sort(sorted);
        double threshold = json(given().get("/api/v1/model").then().extract().asString()).getDouble("threshold");

        // alpha = 0.1, n = 24: k = ceil(25 * 0.9) = ceil(22.5) = 23 (trainer: calibrate.order_index).
        JsonPath report = json(withKey().queryParam("alpha", 0.1).queryParam("folder", "line3/good")
                .post("/api/v1/model/calibration").then().statusCode(200).extract().asString());
        assertEquals(N, report.getInt("n"));
        assertEquals(23, report.getInt("k"));
        assertEquals(0.1, report.getDouble("alpha"), 0);
        assertEquals("folder:line3/good", report.getString("source"));
        assertEquals(sha, report.getString("model.sha256"));
        assertEquals(sorted[22], report.getDouble("newThreshold"), 1e-12, "the 23rd smallest inspection score");
        assertEquals(threshold, report.getDouble("oldThreshold"), 0);
        assertEquals("model", report.getString("oldThresholdSource"));
        assertEquals(sorted[0], report.getDouble("scores.min"), 1e-12);
        assertEquals((sorted[11] + sorted[12]) / 2, report.getDouble("scores.median"), 1e-12);
        assertFalse(report.getBoolean("applied"));

        // Of the inspections just made (the only ones by this model), those whose verdict flips.
        long expectedGoodToDefect = 0;
        long expectedDefectToGood = 0;
        for (int i = 0; i < N; i++) {
            boolean defectNow = scores[i] > sorted[22];
            if (verdicts.get(i).equals("GOOD") && defectNow) {
                expectedGoodToDefect++;
            } else if (verdicts.get(i).equals("DEFECT") && !defectNow) {
                expectedDefectToGood++;
            }
        }
        assertEquals(N, report.getInt("verdictChanges.sameModel"));
        assertEquals(1000, report.getInt("verdictChanges.window"));
        assertEquals(expectedGoodToDefect, report.getInt("verdictChanges.goodToDefect"));
        assertEquals(expectedDefectToGood, report.getInt("verdictChanges.defectToGood"));
        assertEquals(expectedGoodToDefect + expectedDefectToGood, report.getInt("verdictChanges.changed"));
        assertTrue(expectedGoodToDefect + expectedDefectToGood > 0, "the test image set must make some verdicts flip");

        // Not applied: nothing changed.
        given().get("/api/v1/model").then().body("threshold", equalTo((float) threshold)).body("thresholdSource", equalTo("model"));
        assertFalse(Files.exists(STATE_FILE) && readState().contains(sha), "nothing persisted without apply=true");
    }

    @Test
    void appliedCalibrationTakesEffectIsPersistedAndFollowsItsModel() throws IOException {
        var multipart = withKey().queryParam("alpha", 0.2).queryParam("apply", true);
        for (int i = 0; i < N; i++) {
            multipart.multiPart("image", String.format("up-%02d.png", i), GOOD.get(i), "image/png");
        }
        JsonPath report = json(multipart.post("/api/v1/model/calibration").then().statusCode(200).extract().asString());
        double calibrated = report.getDouble("newThreshold");
        assertEquals(N, report.getInt("n"));
        assertEquals(20, report.getInt("k")); // ceil(25 * 0.8) = 20
        assertEquals("upload", report.getString("source"));
        assertTrue(report.getBoolean("applied"));
        assertEquals(STATE_FILE.toAbsolutePath().normalize().toString(), report.getString("persistedTo"));

        given().get("/api/v1/model").then()
                .body("threshold", equalTo((float) calibrated))
                .body("thresholdSource", equalTo("calibration"));
        String metrics = given().get("/q/metrics").then().extract().asString();
        double gauge = metrics.lines().filter(l -> l.startsWith("lineside_threshold "))
                .mapToDouble(l -> Double.parseDouble(l.substring("lineside_threshold ".length()))).findFirst().orElseThrow();
        assertEquals(calibrated, gauge, 1e-8 * calibrated, "lineside_threshold follows the applied calibration");
        String state = readState();
        assertTrue(state.contains(sha) && state.contains("\"alpha\" : 0.2") && state.contains("\"n\" : " + N), state);
        // The noisiest image scores above the 20th of 24: DEFECT now, judged against the new threshold.
        given().contentType("image/png").body(GOOD.get(N - 1)).post("/api/v1/inspections").then().statusCode(200)
                .body("verdict", equalTo("DEFECT")).body("threshold", equalTo((float) calibrated));

        // The persisted threshold belongs to this model only: another model gets its own; back on this one
        // (as after a restart, the state file is read at load) the calibrated threshold is in force again.
        withKey().contentType("application/octet-stream").body(LifecycleProfile.MODEL_B).put("/api/v1/model")
                .then().statusCode(200).body("model.thresholdSource", equalTo("model")).body("model.threshold", equalTo(0.05f));
        withKey().post("/api/v1/model/rollback").then().statusCode(200)
                .body("model.sha256", equalTo(sha))
                .body("model.thresholdSource", equalTo("calibration"))
                .body("model.threshold", equalTo((float) calibrated));
    }

    @Test
    void pathsOutsideTheCalibrationRootAreRefused() throws IOException {
        Path outside = Files.createDirectories(LifecycleProfile.DIR.resolve("elsewhere"));
        for (int i = 0; i < N; i++) {
            Files.write(outside.resolve("p" + i + ".png"), GOOD.get(i));
        }
        Path link = CALIBRATION_ROOT.resolve("escape");
        if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.createSymbolicLink(link, outside);
        }
        for (String folder : List.of("../elsewhere", "line3/../../elsewhere", outside.toString(), "/etc", "escape", "escape/.")) {
            withKey().queryParam("alpha", 0.1).queryParam("folder", folder).post("/api/v1/model/calibration")
                    .then().statusCode(403).contentType("application/json")
                    .body("error", equalTo("path-outside-root"))
                    .body("detail", containsString("calibration root"));
        }
        withKey().queryParam("alpha", 0.1).queryParam("folder", "no/such/folder").post("/api/v1/model/calibration")
                .then().statusCode(404).body("error", equalTo("folder-not-found"));
    }

    @Test
    void folderCalibrationWorksFromABarePostWithoutContentType() throws Exception {
        // What `curl -X POST -H 'X-API-Key: ...' '.../calibration?alpha=0.1&folder=line3/good'` sends: no body, no Content-Type.
        var request = java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(io.restassured.RestAssured.baseURI + ":" + io.restassured.RestAssured.port
                                + "/api/v1/model/calibration?alpha=0.1&folder=line3/good"))
                .header("X-API-Key", KEY).POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build();
        var response = java.net.http.HttpClient.newHttpClient().send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        JsonPath report = json(response.body());
        assertEquals(N, report.getInt("n"));
        assertEquals("folder:line3/good", report.getString("source"));
        assertEquals(false, report.getBoolean("applied"));
    }

    @Test
    void badRequestsAreRefusedWithTheReason() {
        withKey().queryParam("folder", "line3/good").post("/api/v1/model/calibration")
                .then().statusCode(400).body("error", equalTo("invalid-alpha"));
        withKey().queryParam("alpha", 1.5).queryParam("folder", "line3/good").post("/api/v1/model/calibration")
                .then().statusCode(400).body("error", equalTo("invalid-alpha"));
        withKey().queryParam("alpha", 0.1).post("/api/v1/model/calibration")
                .then().statusCode(400).body("error", equalTo("no-images"));
        withKey().queryParam("alpha", 0.01).queryParam("folder", "line3/good").post("/api/v1/model/calibration")
                .then().statusCode(422).body("error", equalTo("too-few-images"))
                .body("detail", containsString("at least 99")).body("detail", containsString("got 24"));
    }

    @Test
    void uploadsAreLimitedAndCheckedImageByImage() {
        // One file over lineside.limits.max-bytes (64K in this profile).
        withKey().queryParam("alpha", 0.5)
                .multiPart("image", "huge.png", png(noise(300, 300, 1, 1.0)), "image/png")
                .post("/api/v1/model/calibration").then().statusCode(413)
                .body("error", equalTo("too-large")).body("detail", containsString("huge.png"));
        // Files each within the limit, together over lineside.calibration.max-upload (96K).
        var tooMuch = withKey().queryParam("alpha", 0.5);
        for (int i = 0; i < 3; i++) {
            byte[] big = png(noise(200, 200, i, 1.0));
            assertTrue(big.length > 33 * 1024 && big.length < 64 * 1024, "test image size " + big.length);
            tooMuch.multiPart("image", "big-" + i + ".png", big, "image/png");
        }
        tooMuch.post("/api/v1/model/calibration").then().statusCode(413)
                .body("error", equalTo("too-large")).body("detail", containsString("lineside.calibration.max-upload"));
        // A file that is not an image: nothing calibrated, the file named.
        var withJunk = withKey().queryParam("alpha", 0.5);
        for (int i = 0; i < 3; i++) {
            withJunk.multiPart("image", "p" + i + ".png", GOOD.get(i), "image/png");
        }
        withJunk.multiPart("image", "notes.png", "shift notes".getBytes(), "image/png");
        withJunk.post("/api/v1/model/calibration").then().statusCode(422)
                .body("error", equalTo("unusable-images")).body("detail", containsString("notes.png"));
        // A multipart body with no file.
        withKey().queryParam("alpha", 0.5).multiPart("comment", "no files").post("/api/v1/model/calibration")
                .then().statusCode(400).body("error", equalTo("no-images"));
    }

    @Test
    void calibrationNeedsTheKey() {
        given().queryParam("alpha", 0.1).queryParam("folder", "line3/good").post("/api/v1/model/calibration")
                .then().statusCode(401).body("error", equalTo("missing-api-key"));
        given().header("X-API-Key", "not-the-key").queryParam("alpha", 0.1).queryParam("folder", "line3/good")
                .queryParam("apply", true).post("/api/v1/model/calibration")
                .then().statusCode(401).body("error", equalTo("invalid-api-key"));
        given().get("/api/v1/model").then().body("thresholdSource", equalTo("model"));
    }

    static String readState() {
        try {
            return Files.readString(STATE_FILE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
