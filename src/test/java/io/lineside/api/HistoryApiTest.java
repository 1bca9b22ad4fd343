package io.lineside.api;

import io.lineside.history.HeatReader;
import io.lineside.history.HeatmapRenderer;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@TestProfile(HistoryTestProfile.class)
class HistoryApiTest {
    static final String INSPECTIONS = "/api/v1/inspections";

    static String post(byte[] body, String name) {
        Response r = given().contentType("application/octet-stream").body(body).queryParam("name", name)
                .post(INSPECTIONS);
        String id = r.header("X-Inspection-Id");
        assertNotNull(id, "every posted image gets an id, inspected or rejected: " + r.asString());
        return id;
    }

    @Test
    void pagesNewestFirstAndFiltersByVerdictSourceAndTime() throws InterruptedException {
        Instant start = Instant.now();
        Thread.sleep(5);
        byte[] good = Samples.goodSample();
        List<String> ids = new ArrayList<>();
        List<String> rejected = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            boolean junk = i % 4 == 3;
            String id = post(junk ? ("not an image " + i).getBytes() : good, "page-" + i);
            ids.add(0, id); // newest first
            if (junk) {
                rejected.add(0, id);
            }
        }

        // Walk all pages of 5 from the newest, following `next`.
        List<String> seen = new ArrayList<>();
        String before = null;
        int pages = 0;
        do {
            var req = given().queryParam("limit", 5).queryParam("since", start.toString());
            if (before != null) {
                req.queryParam("before", before);
            }
            Response page = req.get(INSPECTIONS).then().statusCode(200).extract().response();
            seen.addAll(page.jsonPath().getList("items.id"));
            before = page.jsonPath().getString("next");
            pages++;
        } while (before != null && pages < 10);
        assertEquals(ids, seen, "every record once, newest first");
        assertEquals(3, pages);

        given().queryParam("verdict", "rejected").queryParam("since", start.toString()).get(INSPECTIONS)
                .then().statusCode(200)
                .body("items.id", equalTo(rejected))
                .body("items.rejected", everyItem(equalTo(true)))
                .body("items.reason", everyItem(equalTo("not-an-image")));
        given().queryParam("verdict", "GOOD").queryParam("since", start.toString()).get(INSPECTIONS)
                .then().statusCode(200).body("items.verdict", everyItem(equalTo("GOOD")));
        given().queryParam("source", "api").queryParam("since", start.toString()).queryParam("limit", 100)
                .get(INSPECTIONS).then().statusCode(200).body("items", hasSize(12));
        given().queryParam("source", "camera-nobody").get(INSPECTIONS).then().statusCode(200).body("items", hasSize(0));
        given().queryParam("since", "1m").queryParam("limit", 1000).get(INSPECTIONS)
                .then().statusCode(200).body("items.size()", greaterThanOrEqualTo(12));
        // before a time: nothing at or after it
        given().queryParam("before", start.toString()).queryParam("since", start.toString()).get(INSPECTIONS)
                .then().statusCode(200).body("items", hasSize(0)).body("next", nullValue());

        given().queryParam("limit", 0).get(INSPECTIONS).then().statusCode(400).body("error", equalTo("bad-limit"));
        given().queryParam("verdict", "MAYBE").get(INSPECTIONS).then().statusCode(400).body("error", equalTo("bad-verdict"));
        given().queryParam("since", "yesterday").get(INSPECTIONS).then().statusCode(400).body("error", equalTo("bad-since"));
        given().queryParam("before", "no-such-id").get(INSPECTIONS).then().statusCode(400).body("error", equalTo("bad-cursor"));
    }

    @Test
    void oneRecordByIdAndUnknownIdsAre404() {
        String id = post(Samples.goodSample(), "single");
        given().get(INSPECTIONS + "/" + id).then().statusCode(200)
                .body("id", equalTo(id))
                .body("name", equalTo("single"))
                .body("source", equalTo("api"))
                .body("rejected", equalTo(false))
                .body("imageKept", equalTo(true));
        given().get(INSPECTIONS + "/0190f3c2-0000-7000-8000-000000000000").then().statusCode(404)
                .body("error", equalTo("not-found"));
        given().get(INSPECTIONS + "/0190f3c2-0000-7000-8000-000000000000/image").then().statusCode(404)
                .body("error", equalTo("not-found"));
    }

    @Test
    void goodSampleIsGood() {
        given().contentType("image/png").body(Samples.goodSample()).post(INSPECTIONS).then().statusCode(200)
                .body("verdict", equalTo("GOOD"));
    }

    @Test
    void theReconstructionIsWhatTheModelExpectedToSee() {
        // The surface model reconstructs every part as the plain surface: a 64 x 64 gray PNG of SURFACE.
        String id = given().contentType("image/png").body(Samples.goodSample()).post(INSPECTIONS)
                .then().statusCode(200).extract().path("id");
        byte[] png = given().get(INSPECTIONS + "/" + id + "/reconstruction.png").then().statusCode(200)
                .contentType("image/png").extract().asByteArray();
        BufferedImage reconstruction = Samples.decode(png);
        assertEquals(64, reconstruction.getWidth(), "at model resolution");
        assertEquals(64, reconstruction.getHeight());
        assertEquals(1, reconstruction.getRaster().getNumBands(), "a one-channel model's reconstruction is gray");
        int expected = (int) Math.round(Samples.SURFACE * 255);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                assertEquals(expected, reconstruction.getRaster().getSample(x, y, 0), "at (" + x + "," + y + ")");
            }
        }
        given().get(INSPECTIONS + "/no-such-id/reconstruction.png").then().statusCode(404).body("error", equalTo("not-found"));
    }

    @Test
    void heatmapHasTheImagesSizeAndIsHottestWhereTheDefectIs() {
        byte[] good = Samples.goodSample();
        BufferedImage goodImage = Samples.decode(good);
        int w = goodImage.getWidth();
        int h = goodImage.getHeight();
        // A dark blob on the part, off centre, where a blow hole could be.
        int cx = w * 3 / 10;
        int cy = h * 3 / 10;
        int r = Math.max(4, w / 16);
        byte[] defective = Samples.withDarkBlob(good, cx, cy, r);
        Response inspected = given().contentType("image/png").body(defective).queryParam("name", "blob")
                .post(INSPECTIONS).then().statusCode(200).extract().response();
        assertEquals("DEFECT", inspected.path("verdict"), "the blob is a defect: " + inspected.asString());
        String id = inspected.path("id");

        byte[] image = given().get(INSPECTIONS + "/" + id + "/image").then().statusCode(200)
                .contentType("image/png").extract().asByteArray();
        assertArrayEquals(defective, image, "the input as received");

        byte[] png = given().get(INSPECTIONS + "/" + id + "/heatmap.png").then().statusCode(200)
                .contentType("image/png").extract().asByteArray();
        BufferedImage heat = Samples.decode(png);
        assertNotNull(heat, "heatmap decodes as PNG");
        assertEquals(w, heat.getWidth());
        assertEquals(h, heat.getHeight());
        int step = Math.max(1, w / 100);
        double[][] grid = HeatReader.heat(HeatmapRenderer.decodeRgb(defective), heat, step);
        int[] hottest = HeatReader.hottest(grid, step, Math.max(2, r / step), HeatmapRenderer.scaleBarHeight(w, h));
        double distance = Math.hypot(hottest[0] - cx, hottest[1] - cy);
        assertTrue(distance <= 2 * r, "hottest at (" + hottest[0] + "," + hottest[1] + "), blob at (" + cx + "," + cy
                + ") radius " + r);
    }

    @Test
    void imagesBeyondRetentionAre404WhileTheirRecordsStay() throws InterruptedException {
        byte[] good = Samples.goodSample();
        String first = post(good, "old-0");
        for (int i = 1; i <= HistoryTestProfile.KEPT_IMAGES + 4; i++) {
            post(good, "old-" + i);
        }
        // the background writer evicts as it keeps the newer ones
        long deadline = System.currentTimeMillis() + 10_000;
        while (given().get(INSPECTIONS + "/" + first + "/image").statusCode() != 404
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        given().get(INSPECTIONS + "/" + first + "/image").then().statusCode(404)
                .contentType("application/json")
                .body("error", equalTo("not-kept"))
                .body("detail", containsString("lineside.retention"));
        given().get(INSPECTIONS + "/" + first + "/heatmap.png").then().statusCode(404).body("error", equalTo("not-kept"));
        given().get(INSPECTIONS + "/" + first).then().statusCode(200).body("id", equalTo(first))
                .body("imageKept", equalTo(false));
    }

    @Test
    void statsCountWhatWasPostedInTheWindow() {
        int before = given().get("/api/v1/stats?window=5m").then().statusCode(200).extract().path("total");
        post(Samples.goodSample(), "stat-good");
        post("junk".getBytes(), "stat-junk");
        given().get("/api/v1/stats?window=5m").then().statusCode(200)
                .body("window", equalTo("5m"))
                .body("total", equalTo(before + 2))
                .body("bySource.api.rejected", greaterThanOrEqualTo(1))
                .body("score.count", greaterThanOrEqualTo(1));
        given().get("/api/v1/stats?window=24h").then().statusCode(200).body("window", equalTo("24h"));
        given().get("/api/v1/stats?window=2h").then().statusCode(400).body("error", equalTo("bad-window"));
    }
}
