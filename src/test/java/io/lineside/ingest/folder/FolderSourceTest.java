package io.lineside.ingest.folder;

import com.fasterxml.jackson.databind.JsonNode;
import io.lineside.journal.Journal;
import io.lineside.journal.JournalRecord;
import io.lineside.model.OnnxModelBuilder;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The folder source in-process: on-done=delete, and a vanished inbox reported and survived. */
@QuarkusTest
@TestProfile(FolderSourceTest.DeleteWhenDone.class)
class FolderSourceTest {

    static final Path ROOT = Path.of("target", "folder-source-test").toAbsolutePath();

    public static class DeleteWhenDone implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Files.createDirectories(ROOT);
                Path model = ROOT.resolve("model.onnx");
                Files.write(model, OnnxModelBuilder.valid(1, 32, 32).build());
                Path run = Files.createTempDirectory(ROOT, "run-");
                return Map.of(
                        "lineside.model.path", model.toString(),
                        "lineside.folder.path", run.resolve("inbox").toString(),
                        "lineside.folder.archive", run.resolve("archive").toString(),
                        "lineside.journal.path", run.resolve("journal").toString(),
                        "lineside.folder.on-done", "delete",
                        "lineside.folder.poll-interval", "100ms",
                        "lineside.folder.settle", "300ms");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Inject
    FolderSource folder;

    @Inject
    Journal journal;

    @Test
    void onDoneDeleteRemovesInspectedImagesButKeepsRejectedOnes() throws Exception {
        byte[] png = FolderScene.drawnParts().get(0);
        Files.write(folder.inbox().resolve("good-part.png"), png);
        Files.write(folder.inbox().resolve("broken.png"), java.util.Arrays.copyOf(png, 40));

        JournalRecord good = awaitRecord("good-part.png");
        JournalRecord broken = awaitRecord("broken.png");
        FolderScene.await("inbox drained", 20_000, () -> !Files.exists(folder.inbox().resolve("good-part.png"))
                && !Files.exists(folder.inbox().resolve("broken.png")) && folder.backlogIsClaimedEmpty());

        assertFalse(good.wasRejected());
        assertTrue(broken.wasRejected());
        Path archive = folder.archiveRoot();
        List<Path> kept;
        try (var s = Files.walk(archive)) {
            kept = s.filter(Files::isRegularFile).map(archive::relativize).toList();
        }
        assertTrue(kept.stream().noneMatch(p -> p.toString().contains("good-part")), "deleted: " + kept);
        Path rejected = kept.stream().filter(p -> p.getFileName().toString().equals("broken.png")).findFirst()
                .orElseThrow(() -> new AssertionError("rejected file kept: " + kept));
        assertEquals("rejected", rejected.getName(0).toString());
        JsonNode sidecar = FolderScene.JSON.readTree(Files.readAllBytes(Archive.sidecar(archive.resolve(rejected))));
        assertEquals(broken.id(), sidecar.get("id").asText());
        assertEquals(broken.reason(), sidecar.get("reason").asText());
    }

    @Test
    void aMissingInboxMakesReadinessDownNamingItAndNothingIsLost() throws Exception {
        Path inbox = folder.inbox();
        Path away = inbox.resolveSibling("inbox-unmounted");
        Files.move(inbox, away);
        try {
            FolderScene.await("readiness DOWN", 20_000, () -> folder.problem() != null);
            given().get("/q/health/ready").then().statusCode(503)
                    .body("checks.find { it.name == 'folder' }.status", equalTo("DOWN"))
                    .body("checks.find { it.name == 'folder' }.data.reason", containsString("inbox folder missing"));
            Files.write(away.resolve("while-away.png"), FolderScene.drawnParts().get(1));
            Thread.sleep(1000);
            assertFalse(Files.exists(inbox), "the inbox is not re-created at run time (it may be an unmounted share)");
        } finally {
            Files.move(away, inbox);
        }
        JournalRecord r = awaitRecord("while-away.png");
        assertFalse(r.wasRejected());
        FolderScene.await("readiness UP", 20_000, () -> folder.problem() == null);
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'folder' }.status", equalTo("UP"));
    }

    private JournalRecord awaitRecord(String name) throws InterruptedException {
        JournalRecord[] found = new JournalRecord[1];
        FolderScene.await("journal record for " + name, 30_000, () -> {
            Optional<JournalRecord> r = journal.last(100).stream().filter(x -> x.name().equals(name)).findFirst();
            r.ifPresent(x -> found[0] = x);
            return r.isPresent();
        });
        return found[0];
    }
}
