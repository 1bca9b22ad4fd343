package io.lineside.ingest.folder;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The watched folder against the packaged appliance in its own process: a burst, a slow writer, bad files,
 * and the journal's chain (verified, then caught after an edit).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FolderSourceIT {

    static final int BURST = 2000;
    static final long MAX_BYTES = 4L << 20;

    static FolderScene scene;
    static PackagedApp app;
    static List<byte[]> samples;

    @BeforeAll
    static void start() throws Exception {
        samples = FolderScene.samples();
        scene = new FolderScene("folder");
        Map<String, String> props = scene.properties();
        props.put("lineside.limits.max-bytes", String.valueOf(MAX_BYTES));
        app = PackagedApp.start(scene.log(), props);
    }

    @AfterAll
    static void stop() throws Exception {
        if (app != null) {
            app.close();
        }
    }

    @Test
    @Order(1)
    void aBurstOf2000FilesGivesOneVerdictAndOneArchivedCopyEach() throws Exception {
        Set<String> names = new HashSet<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < BURST; i++) {
            String name = String.format("burst-%05d.png", i);
            byte[] bytes = samples.get(i % samples.size());
            Files.write(scene.inbox.resolve(name), bytes);
            names.add(name);
        }
        long written = System.nanoTime();
        FolderScene.await("2000 archived files", 600_000, () -> scene.archivedCount() >= BURST);
        long done = System.nanoTime();
        double seconds = (done - t0) / 1e9;
        System.out.printf("FOLDER BURST: %d files written in %.2f s, all archived %.2f s after the first write: "
                + "%.1f files/s end to end (settle %s included)%n", BURST, (written - t0) / 1e9, seconds,
                BURST / seconds, "500ms");

        List<Path> archived = scene.archivedImages();
        assertEquals(BURST, archived.size(), "archived images");
        List<String> archivedNames = archived.stream().map(p -> p.getFileName().toString()).toList();
        assertEquals(names, new HashSet<>(archivedNames), "each file archived under its own name, none twice");
        for (Path rel : archived) {
            Path image = scene.archive.resolve(rel);
            JsonNode sidecar = FolderScene.JSON.readTree(Files.readAllBytes(Archive.sidecar(image)));
            assertEquals(image.getFileName().toString(), sidecar.get("name").asText());
            String category = rel.getName(0).toString();
            assertEquals(sidecar.get("verdict").asText().toLowerCase(), category, rel.toString());
            assertTrue(rel.getName(1).toString().matches("\\d{4}-\\d{2}-\\d{2}"), rel.toString());
        }

        List<JsonNode> records = scene.journalRecords().stream()
                .filter(r -> r.get("source").asText().equals("folder") && r.get("name").asText().startsWith("burst-"))
                .toList();
        assertEquals(BURST, records.size(), "journal records");
        assertEquals(names, new HashSet<>(records.stream().map(r -> r.get("name").asText()).toList()));
        assertEquals(BURST, new HashSet<>(records.stream().map(r -> r.get("id").asText()).toList()).size());
        assertTrue(records.stream().noneMatch(r -> r.has("rejected")), "the samples are all valid images");
        assertEquals(List.of(), scene.leftInInbox(), "nothing left in the inbox or its work area");

        FolderScene.await("backlog gauge back to 0", 10_000, () -> metric("lineside_folder_backlog").equals("0.0"));
    }

    @Test
    @Order(2)
    void aFileWrittenSlowlyInChunksIsNotReadEarly() throws Exception {
        byte[] image = samples.get(0);
        Path target = scene.inbox.resolve("slow-part.png");
        int chunks = 8;
        try (OutputStream out = Files.newOutputStream(target)) {
            for (int i = 0; i < chunks; i++) {
                int from = image.length * i / chunks;
                int to = image.length * (i + 1) / chunks;
                out.write(image, from, to - from);
                out.flush();
                Thread.sleep(250); // half the settle time between writes: never unchanged for 500 ms
                assertTrue(Files.exists(target), "taken while still being written, after chunk " + (i + 1));
            }
        }
        JsonNode sidecar = awaitSidecar("slow-part.png");
        assertFalse(sidecar.has("rejected"), "read early and rejected: " + sidecar);
        assertEquals(FolderScene.sha256(image), sidecar.get("imageSha256").asText(), "scored the whole file");
    }

    @Test
    @Order(3)
    void badFilesAreRejectedWithReasonsAndTheLoopGoesOn() throws Exception {
        byte[] png = samples.stream().filter(FolderSourceIT::isPng).findFirst().orElseThrow();
        Map<String, byte[]> bad = Map.of(
                "empty.png", new byte[0],
                "truncated.png", java.util.Arrays.copyOf(png, png.length / 2),
                "notes.txt", "shift report: all good".getBytes(StandardCharsets.UTF_8),
                "bomb.png", pngHeaderClaiming(100_000, 100_000),
                "huge.png", new byte[(int) MAX_BYTES + 1]);
        Map<String, String> expected = Map.of(
                "empty.png", "empty",
                "truncated.png", "corrupt",
                "notes.txt", "not-an-image",
                "bomb.png", "too-many-pixels",
                "huge.png", "too-large");
        for (Map.Entry<String, byte[]> e : bad.entrySet()) {
            Files.write(scene.inbox.resolve(e.getKey()), e.getValue());
        }
        Files.write(scene.inbox.resolve("after-the-bad-ones.png"), png);
        // Ignored names are never touched.
        for (String ignored : List.of(".hidden.png", "upload.tmp", "frame.png.part", "x.crdownload", "~$lock.png")) {
            Files.write(scene.inbox.resolve(ignored), png);
        }

        for (Map.Entry<String, String> e : expected.entrySet()) {
            JsonNode sidecar = awaitSidecar(e.getKey());
            assertTrue(sidecar.get("rejected").asBoolean(), sidecar.toString());
            assertEquals(e.getValue(), sidecar.get("reason").asText(), e.getKey() + ": " + sidecar);
            assertFalse(sidecar.get("detail").asText().isBlank());
            Path image = findArchived(e.getKey());
            assertEquals("rejected", scene.archive.relativize(image).getName(0).toString());
            assertEquals(bad.get(e.getKey()).length, Files.size(image), "a rejected file is kept as it was");
            String series = "lineside_rejected_total{reason=\"" + e.getValue() + "\",source=\"folder\"}";
            assertNotEquals("", metric(series), series + " in /q/metrics");
        }
        assertFalse(awaitSidecar("after-the-bad-ones.png").has("rejected"));
        Thread.sleep(1500);
        for (String ignored : List.of(".hidden.png", "upload.tmp", "frame.png.part", "x.crdownload", "~$lock.png")) {
            assertTrue(Files.exists(scene.inbox.resolve(ignored)), ignored + " must be left alone");
        }
        HttpResponse<String> ready = app.get("/q/health/ready");
        assertEquals(200, ready.statusCode(), ready.body());
    }

    @Test
    @Order(4)
    void theJournalChainVerifiesAndAnEditedRecordIsCaught() throws Exception {
        JsonNode ok = FolderScene.JSON.readTree(app.get("/api/v1/journal/verify").body());
        assertTrue(ok.get("ok").asBoolean(), ok.toString());
        assertTrue(ok.get("records").asLong() >= BURST + 7, ok.toString());

        // Turn a DEFECT into GOOD (or the reverse) in line 10 of the first journal file.
        Path file;
        try (var s = Files.list(scene.journal)) {
            file = s.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted().findFirst().orElseThrow();
        }
        List<String> lines = new ArrayList<>(Files.readAllLines(file));
        String line = lines.get(9);
        String edited = line.contains("\"verdict\":\"DEFECT\"") ? line.replace("\"verdict\":\"DEFECT\"", "\"verdict\":\"GOOD\"")
                : line.replace("\"verdict\":\"GOOD\"", "\"verdict\":\"DEFECT\"");
        assertNotEquals(line, edited);
        lines.set(9, edited);
        Files.write(file, lines);

        JsonNode broken = FolderScene.JSON.readTree(app.get("/api/v1/journal/verify").body());
        assertFalse(broken.get("ok").asBoolean(), broken.toString());
        assertEquals(file.getFileName().toString(), broken.at("/firstBroken/file").asText());
        assertEquals(11, broken.at("/firstBroken/line").asInt(), broken.toString());

        app.stop();
        Map.Entry<Integer, String> cli = PackagedApp.runCommand("journal", "verify", scene.journal.toString());
        assertEquals(1, cli.getKey(), cli.getValue());
        assertTrue(cli.getValue().contains("\"line\" : 11"), cli.getValue());
    }

    private static boolean isPng(byte[] b) {
        return b.length > 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G';
    }

    /** A valid PNG signature and IHDR declaring w x h, and nothing else: a decompression bomb's header. */
    static byte[] pngHeaderClaiming(int w, int h) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteArrayOutputStream chunk = new ByteArrayOutputStream();
        DataOutputStream c = new DataOutputStream(chunk);
        c.writeBytes("IHDR");
        c.writeInt(w);
        c.writeInt(h);
        c.write(new byte[] {8, 2, 0, 0, 0});
        byte[] body = chunk.toByteArray();
        out.writeInt(13);
        out.write(body);
        CRC32 crc = new CRC32();
        crc.update(body);
        out.writeInt((int) crc.getValue());
        out.write(new byte[64]);
        return bytes.toByteArray();
    }

    private JsonNode awaitSidecar(String name) throws Exception {
        FolderScene.await("archived " + name, 60_000, () -> {
            try {
                Path p = findArchived(name);
                return p != null && Files.exists(Archive.sidecar(p));
            } catch (Exception e) {
                return false;
            }
        });
        return FolderScene.JSON.readTree(Files.readAllBytes(Archive.sidecar(findArchived(name))));
    }

    private Path findArchived(String name) throws Exception {
        for (Path rel : scene.archivedImages()) {
            if (rel.getFileName().toString().equals(name)) {
                return scene.archive.resolve(rel);
            }
        }
        return null;
    }

    /** The value of one series in /q/metrics, or "" when absent. */
    private String metric(String series) {
        try {
            String body = app.get("/q/metrics").body();
            Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(body);
            return m.find() ? m.group(1) : "";
        } catch (Exception e) {
            return "";
        }
    }
}
