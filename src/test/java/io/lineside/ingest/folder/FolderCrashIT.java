package io.lineside.ingest.folder;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** kill -9 in the middle of a burst, twice: after the restarts every file has exactly one verdict and one archived copy. */
class FolderCrashIT {

    static final int FILES = 800;

    @Test
    void everyFileEndsWithExactlyOneVerdictAndOneArchivedCopyAcrossKills() throws Exception {
        List<byte[]> samples = FolderScene.samples();
        FolderScene scene = new FolderScene("crash");
        Map<String, String> props = scene.properties();
        List<String> names = new ArrayList<>();

        PackagedApp app = PackagedApp.start(scene.log(), props);
        for (int i = 0; i < FILES; i++) {
            String name = String.format("crash-%05d.png", i);
            Files.write(scene.inbox.resolve(name), samples.get(i % samples.size()));
            names.add(name);
        }
        int[] killAt = {FILES / 8, FILES / 2};
        for (int k : killAt) {
            FolderScene.await(k + " archived before the kill", 300_000, () -> scene.archivedCount() >= k);
            app.kill();
            System.out.printf("FOLDER CRASH: killed with %d of %d archived, %d left in the work area%n",
                    scene.archivedCount(), FILES, countClaimed(scene));
            app = PackagedApp.start(scene.log(), props);
        }
        FolderScene.await("all archived after restarts", 300_000, () -> scene.archivedCount() >= FILES);
        Thread.sleep(1000); // anything wrongly done twice would show up now
        app.stop();

        List<String> archived = scene.archivedImages().stream().map(p -> p.getFileName().toString()).toList();
        assertEquals(FILES, archived.size(), "one archived copy per file");
        Map<String, Integer> archivedCounts = FolderScene.countBy(archived);
        for (String n : names) {
            assertEquals(1, archivedCounts.getOrDefault(n, 0), "archived copies of " + n);
        }
        List<JsonNode> records = scene.journalRecords();
        Map<String, Integer> verdicts = FolderScene.countBy(records.stream()
                .filter(r -> r.get("source").asText().equals("folder")).map(r -> r.get("name").asText()).toList());
        for (String n : names) {
            assertEquals(1, verdicts.getOrDefault(n, 0), "journal records for " + n);
        }
        for (Path rel : scene.archivedImages()) {
            JsonNode sidecar = FolderScene.JSON.readTree(Files.readAllBytes(Archive.sidecar(scene.archive.resolve(rel))));
            assertEquals(rel.getFileName().toString(), sidecar.get("name").asText());
        }
        assertEquals(List.of(), scene.leftInInbox(), "nothing left in the inbox or its work area");

        Map.Entry<Integer, String> verify = PackagedApp.runCommand("journal", "verify", scene.journal.toString());
        assertEquals(0, verify.getKey(), verify.getValue());
        assertTrue(verify.getValue().contains("\"records\" : " + records.size()), verify.getValue());
    }

    private static long countClaimed(FolderScene scene) {
        try (var s = Files.list(scene.inbox.resolve(WorkArea.DIR).resolve("claimed"))) {
            return s.count();
        } catch (Exception e) {
            return -1;
        }
    }
}
