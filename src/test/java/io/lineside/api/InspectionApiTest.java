package io.lineside.api;

import io.lineside.scoring.TestImages;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** POST /api/v1/inspections with good, odd and hostile bodies; the appliance keeps serving after each. */
@QuarkusTest
class InspectionApiTest {
    private static final String PATH = "/api/v1/inspections";

    @TestHTTPResource("/api/v1/inspections")
    URI inspections;

    static Response post(byte[] body, String contentType, String name) {
        return given().contentType(contentType).body(body).queryParam("name", name).post(PATH);
    }

    /** A plain, valid image still gets a verdict: proof the previous bad input left nothing broken. */
    private static void stillServing() {
        post(TestImages.encode(TestImages.gray(120, 90, 7), "png"), "image/png", "after")
                .then().statusCode(200).body("verdict", matchesPattern("GOOD|DEFECT"));
    }

    private static void refused(byte[] body, String contentType, int status, String error, String detailPart) {
        post(body, contentType, "bad").then()
                .statusCode(status)
                .contentType(ContentType.JSON)
                .body("error", equalTo(error))
                .body("detail", containsString(detailPart))
                .header(InspectionResource.ID_HEADER, notNullValue());
        stillServing();
    }

    @Test
    void answersWithTheFullVerdictDocument() {
        String sha256 = given().get("/api/v1/model").then().statusCode(200).extract().path("sha256");
        Response response = post(TestImages.encode(TestImages.rgb(300, 300, 1), "jpeg"), "image/jpeg", "part-0001");
        response.then().statusCode(200).contentType(ContentType.JSON)
                .body("id", matchesPattern("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"))
                .body("name", equalTo("part-0001"))
                .body("source", equalTo("api"))
                .body("verdict", matchesPattern("GOOD|DEFECT"))
                .body("score", greaterThanOrEqualTo(0f))
                .body("threshold", greaterThan(0f))
                .body("model.sha256", equalTo(sha256))
                .body("model", allOf(hasKey("name"), hasKey("version")))
                .body("receivedAt", matchesPattern("\\d{4}-\\d\\d-\\d\\dT.*Z"))
                .body("timingsMs.decode", greaterThan(0f))
                .body("timingsMs.preprocess", greaterThan(0f))
                .body("timingsMs.infer", greaterThan(0f))
                .body("timingsMs.score", greaterThan(0f))
                .body("timingsMs.total", greaterThan(0f));
        Map<String, Float> t = response.path("timingsMs");
        float sum = t.get("decode") + t.get("preprocess") + t.get("infer") + t.get("score");
        assertEquals(sum, t.get("total"), 0.05f * t.get("total") + 0.01f, "total spans the four phases");
        float score = response.path("score");
        float threshold = response.path("threshold");
        assertEquals(score > threshold ? "DEFECT" : "GOOD", response.path("verdict"));
    }

    @Test
    void acceptsEveryDeclaredContentTypeAndDecodesByContent() {
        byte[] png = TestImages.encode(TestImages.gray(64, 64, 2), "png");
        for (String type : new String[] {"image/png", "image/jpeg", "image/bmp", "application/octet-stream"}) {
            post(png, type, "typed").then().statusCode(200);
        }
        post(TestImages.encode(TestImages.rgb(64, 48, 2), "bmp"), "image/bmp", "bmp").then().statusCode(200);
    }

    @Test
    void sameImageSameScoreWhateverTheName() {
        byte[] png = TestImages.encode(TestImages.gray(100, 80, 3), "png");
        float first = post(png, "image/png", "a").path("score");
        float second = post(png, "image/png", "b").path("score");
        assertEquals(first, second);
    }

    @Test
    void sixteenBitPngIsAcceptedAndScored() {
        post(TestImages.encode(TestImages.gray16(100, 80, 4), "png"), "image/png", "gray16")
                .then().statusCode(200).body("score", greaterThanOrEqualTo(0f));
    }

    @Test
    void rgbaPngIsAcceptedAndScored() {
        post(TestImages.encode(TestImages.rgba(100, 80, 4), "png"), "image/png", "rgba")
                .then().statusCode(200).body("score", greaterThanOrEqualTo(0f));
    }

    @Test
    void palettePngIsAcceptedAndScored() {
        post(TestImages.encode(TestImages.palette(100, 80, 4), "png"), "image/png", "palette")
                .then().statusCode(200).body("score", greaterThanOrEqualTo(0f));
    }

    @Test
    void emptyBodyIs415() {
        refused(new byte[0], "image/png", 415, "empty", "empty");
    }

    @Test
    void truncatedJpegIs415() {
        byte[] jpeg = TestImages.encode(TestImages.rgb(300, 300, 5), "jpeg");
        refused(TestImages.truncated(jpeg, 0.6), "image/jpeg", 415, "corrupt", "damaged");
    }

    @Test
    void textFileIs415() {
        refused("serial=4711;result=OK\n".getBytes(StandardCharsets.UTF_8), "application/octet-stream", 415,
                "not-an-image", "not a JPEG, PNG or BMP");
    }

    @Test
    void pngHeaderClaiming100000x100000Is413WithoutDecoding() {
        refused(TestImages.pngHeaderClaiming(100_000, 100_000), "image/png", 413, "too-many-pixels", "100000x100000");
    }

    @Test
    void cmykJpegIs415Unsupported() {
        refused(TestImages.cmykJpeg(), "image/jpeg", 415, "unsupported", "CMYK");
    }

    @Test
    void bodyOverMaxBytesIs413() throws Exception {
        byte[] tooBig = new byte[32 * 1024 * 1024 + 1];
        // java.net.http streams the body; rest-assured copies 32 MiB several times and takes seconds.
        HttpClient client = HttpClient.newHttpClient();
        HttpResponse<String> declared = client.send(HttpRequest.newBuilder(inspections)
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(tooBig)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(413, declared.statusCode());
        assertTrue(declared.body().contains("\"error\":\"too-large\""), declared.body());
        assertTrue(declared.body().contains("lineside.limits.max-bytes"), declared.body());
        // Chunked, without a Content-Length: the bounded read stops one byte past the limit.
        HttpResponse<String> chunked = client.send(HttpRequest.newBuilder(inspections)
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(tooBig))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(413, chunked.statusCode());
        assertTrue(chunked.body().contains("\"error\":\"too-large\""), chunked.body());
        stillServing();
    }

    @Test
    void otherContentTypesAre415WithAJsonError() {
        given().contentType("text/plain").body("hello").post(PATH).then()
                .statusCode(415).contentType(ContentType.JSON)
                .body("error", equalTo("unsupported-media-type"))
                .body("detail", containsString("image/jpeg"));
        stillServing();
    }

    @Test
    void nameIsOptionalButMustBePrintable() {
        byte[] png = TestImages.encode(TestImages.gray(32, 32, 1), "png");
        given().contentType("image/png").body(png).post(PATH).then().statusCode(200).body("name", equalTo("upload"));
        post(png, "image/png", "bad\nname").then().statusCode(400).body("error", equalTo("bad-name"));
        post(png, "image/png", "x".repeat(256)).then().statusCode(400);
        stillServing();
    }

    @Test
    void modelEndpointDescribesTheModelInService() {
        given().get("/api/v1/model").then().statusCode(200).contentType(ContentType.JSON)
                .body("sha256", matchesPattern("[0-9a-f]{64}"))
                .body("name", notNullValue())
                .body("version", notNullValue())
                // The embedded default model is format 2: the graph outputs its score and anomaly map.
                .body("format", is(2))
                .body("input.shape[0]", is(1))
                .body("input.shape.size()", is(4))
                .body("input.resize", equalTo("area"))
                .body("outputs.score", equalTo(java.util.List.of(1)))
                .body("outputs.anomaly_map.size()", is(4))
                .body("outputs.anomaly_map[0]", is(1))
                .body("outputs.anomaly_map[1]", is(1))
                .body("score.computedBy", equalTo("graph"))
                .body("score.function", matchesPattern("std|mse|max-blur|ssim"))
                .body("threshold", greaterThan(0f))
                .body("thresholdSource", equalTo("model"))
                .body("calibration.alpha", greaterThan(0f))
                .body("calibration.n", greaterThan(0))
                .body("metadata.'lineside.format'", equalTo("2"));
    }

    @Test
    void openApiDescribesTheOperations() {
        given().accept("application/json").get("/q/openapi?format=json").then().statusCode(200)
                .body("paths.'/api/v1/inspections'.post.summary", equalTo("Inspect one image"))
                .body("paths.'/api/v1/inspections'.post.requestBody.content", hasKey("image/jpeg"))
                .body("paths.'/api/v1/inspections'.post.responses", allOf(hasKey("200"), hasKey("413"), hasKey("415")))
                .body("paths.'/api/v1/model'.get.summary", notNullValue());
    }
}
