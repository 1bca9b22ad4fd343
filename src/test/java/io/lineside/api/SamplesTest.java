package io.lineside.api;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The README's first run: the embedded default model on the shipped samples gives the right verdicts. */
@QuarkusTest
class SamplesTest {
    private static final Path SAMPLES = Path.of("src/main/resources/samples");

    private static List<Path> samples(String kind) throws IOException {
        try (Stream<Path> files = Files.list(SAMPLES.resolve(kind))) {
            List<Path> found = files.filter(p -> p.getFileName().toString().matches(".*\\.(png|jpg|jpeg|bmp)")).sorted().toList();
            assertFalse(found.isEmpty(), "no " + kind + " samples under " + SAMPLES);
            return found;
        }
    }

    private static void inspectAll(String kind, String verdict) throws IOException {
        for (Path sample : samples(kind)) {
            given().contentType("application/octet-stream").body(Files.readAllBytes(sample))
                    .queryParam("name", sample.getFileName().toString())
                    .post("/api/v1/inspections").then()
                    .statusCode(200)
                    .body("name", equalTo(sample.getFileName().toString()))
                    .body("verdict", equalTo(verdict));
        }
    }

    @Test
    void goodSamplesAreGood() throws IOException {
        inspectAll("good", "GOOD");
    }

    @Test
    void defectSamplesAreDefects() throws IOException {
        inspectAll("defect", "DEFECT");
    }
}
