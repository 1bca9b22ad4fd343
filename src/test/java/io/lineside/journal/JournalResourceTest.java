package io.lineside.journal;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.nullValue;

@QuarkusTest
class JournalResourceTest {

    @Inject
    Journal journal;

    @Test
    void verifyEndpointReportsTheChain() {
        journal.append(JournalTest.inspection(42));
        journal.append(JournalTest.rejection(43));
        given().get("/api/v1/journal/verify").then()
                .statusCode(200)
                .body("ok", equalTo(true))
                .body("records", greaterThanOrEqualTo(2))
                .body("files", greaterThanOrEqualTo(1))
                .body("firstBroken", nullValue());
    }

    @Test
    void readinessIncludesTheJournal() {
        given().get("/q/health/ready").then()
                .body("checks.name", hasItem("journal"));
    }
}
