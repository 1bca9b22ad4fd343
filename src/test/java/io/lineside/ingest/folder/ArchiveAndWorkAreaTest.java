package io.lineside.ingest.folder;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArchiveAndWorkAreaTest {

    static final LocalDate DAY = LocalDate.of(2026, 11, 28);

    @TempDir
    Path root;

    @Test
    void namesNeverOverwriteAndReservationsKeepWorkersApart() throws Exception {
        Archive archive = new Archive(root.resolve("archive"));
        String first = archive.choose("good", DAY, "part.png");
        assertEquals("good/2026-11-28/part.png", first);
        String second = archive.choose("good", DAY, "part.png");
        assertEquals("good/2026-11-28/part-1.png", second, "reserved by another worker");
        Path image = archive.resolve(first);
        archive.writeSidecar(image, "{}".getBytes());
        Files.write(image, new byte[] {1});
        archive.release(first);
        archive.release(second);
        assertEquals("good/2026-11-28/part-1.png", archive.choose("good", DAY, "part.png"), "taken on disk");
        assertEquals("defect/2026-11-28/part.png", archive.choose("defect", DAY, "part.png"));
        assertEquals("good/2026-11-28/noext-1", nextOf(archive, "noext"));
        assertThrows(java.io.IOException.class, () -> archive.choose("good", DAY, "../../../etc/passwd"));
    }

    private static String nextOf(Archive archive, String name) throws Exception {
        archive.choose("good", DAY, name);
        return archive.choose("good", DAY, name);
    }

    @Test
    void aClaimIsOneRenameThatRemembersWhenAndWhence() throws Exception {
        Path inbox = root.resolve("inbox");
        Files.createDirectories(inbox.resolve("line 2"));
        Path source = inbox.resolve("line 2/a.png");
        Files.write(source, new byte[] {7, 8});
        WorkArea work = new WorkArea(inbox);
        work.create();
        WorkArea.Claim claim = work.claim(source, "line 2/a.png", 1_795_860_000_123L).orElseThrow();
        assertFalse(Files.exists(source));
        assertArrayEquals(new byte[] {7, 8}, Files.readAllBytes(work.path(claim)));
        List<WorkArea.Claim> listed = work.list(10);
        assertEquals(List.of(claim), listed);
        assertEquals("line 2/a.png", listed.get(0).relativePath());
        assertEquals(1_795_860_000_123L, listed.get(0).claimedAtMillis());
        assertTrue(work.claim(source, "line 2/a.png", 1).isEmpty(), "already taken");
        assertEquals("50%/x.png", WorkArea.decode(WorkArea.encode("50%/x.png")));

        work.writePlan(claim, new WorkArea.Plan("good/2026-11-28/a.png", "{\"id\":\"x\"}"));
        assertEquals("good/2026-11-28/a.png", work.readPlan(claim).orElseThrow().destination());
        work.deletePlan(claim);
        assertTrue(work.readPlan(claim).isEmpty());
    }
}
