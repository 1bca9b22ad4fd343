package io.lineside.ingest.folder;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InboxScannerTest {

    static final long MS = 1_000_000L;

    @TempDir
    Path inbox;

    @Test
    void aFileIsReadyOnlyAfterSizeAndMtimeHoldStillForTheSettleTime() throws Exception {
        InboxScanner scanner = new InboxScanner(inbox, null, false, 500 * MS);
        Path f = inbox.resolve("part.png");
        Files.write(f, new byte[10]);
        assertEquals(List.of(), scanner.ready(10, 0), "first sight: not yet");
        assertEquals(List.of(), scanner.ready(10, 400 * MS), "unchanged for 400 ms: not yet");

        Files.write(f, new byte[20]); // still being written: the clock starts again
        assertEquals(List.of(), scanner.ready(10, 600 * MS));
        assertEquals(List.of(), scanner.ready(10, 1000 * MS));
        Files.setLastModifiedTime(f, FileTime.fromMillis(Files.getLastModifiedTime(f).toMillis() + 1000));
        assertEquals(List.of(), scanner.ready(10, 1200 * MS), "same size but a new mtime is a change too");
        assertEquals(List.of("part.png"), scanner.ready(10, 1700 * MS));
    }

    @Test
    void hiddenAndTemporaryNamesAreIgnored() {
        for (String n : List.of(".x.png", "a.tmp", "A.TMP", "b.part", "c.crdownload", "~$d.png", ".lineside-work")) {
            assertTrue(InboxScanner.ignored(n), n);
        }
        for (String n : List.of("part.png", "tmp.png", "part.jpg", "x~$.png")) {
            assertFalse(InboxScanner.ignored(n), n);
        }
    }

    @Test
    void aPassStopsAtItsBatchAndSubfoldersNeedRecursive() throws Exception {
        for (int i = 0; i < 30; i++) {
            Files.write(inbox.resolve("f" + i + ".png"), new byte[1]);
        }
        Files.createDirectories(inbox.resolve("line2"));
        Files.write(inbox.resolve("line2/deep.png"), new byte[1]);
        Files.createDirectories(inbox.resolve(".lineside-work/claimed"));
        Files.write(inbox.resolve(".lineside-work/claimed/1-000001~x.png"), new byte[1]);

        InboxScanner flat = new InboxScanner(inbox, null, false, 0);
        flat.ready(100, 0);
        assertEquals(30, flat.ready(100, 1).size(), "top level only");
        assertEquals(30, flat.census().waiting());
        InboxScanner batch = new InboxScanner(inbox, null, false, 0);
        batch.ready(100, 0);
        assertEquals(8, batch.ready(8, 1).size());

        InboxScanner deep = new InboxScanner(inbox, null, true, 0);
        deep.ready(100, 0);
        List<String> all = deep.ready(100, 1);
        assertEquals(31, all.size());
        assertTrue(all.contains("line2/deep.png"), all.toString());
        assertFalse(all.stream().anyMatch(n -> n.contains("lineside-work")), "the work area is never scanned");
    }
}
