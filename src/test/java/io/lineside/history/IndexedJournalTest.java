package io.lineside.history;

import io.lineside.inspection.Inspection;
import io.lineside.inspection.ModelIdentity;
import io.lineside.inspection.Outcome;
import io.lineside.inspection.RejectReason;
import io.lineside.inspection.Rejection;
import io.lineside.inspection.Timings;
import io.lineside.inspection.Verdict;
import io.lineside.journal.Journal;
import io.lineside.journal.JournalRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The history index over a real journal, rotated across several files. */
class IndexedJournalTest {
    private static final ModelIdentity MODEL = new ModelIdentity("m", "1", "ab".repeat(32));

    @TempDir
    Path dir;

    static Outcome outcome(int i) {
        String id = String.format("id-%05d", i);
        String source = i % 3 == 0 ? "folder" : "api";
        if (i % 10 == 9) {
            return new Rejection(id, "n" + i, source, Instant.now(), "00", RejectReason.CORRUPT, "truncated");
        }
        return new Inspection(id, "n" + i, source, Instant.now(), "00", i % 7 == 0 ? Verdict.DEFECT : Verdict.GOOD,
                0.01 * (i % 100), 0.5, MODEL, new Timings(1, 1, 1, 1, 4, 0));
    }

    private static List<String> ids(IndexedJournal.Page page) {
        return page.records().stream().map(JournalRecord::id).toList();
    }

    @Test
    void pagesFiltersAndCatchesUpAcrossRotatedFiles() throws Exception {
        try (Journal journal = Journal.open(dir, 16 * 1024, 0, Clock.systemUTC())) {
            for (int i = 0; i < 300; i++) {
                journal.append(outcome(i));
            }
            try (Stream<Path> files = Files.list(dir)) {
                assertTrue(files.filter(p -> p.toString().endsWith(".jsonl")).count() > 3, "the journal rotated");
            }
            IndexedJournal history = new IndexedJournal(journal, 1_000_000);
            history.catchUp();
            assertEquals(300, history.indexedRecords());

            // All pages of 40, newest first, following the cursor.
            List<String> all = new ArrayList<>();
            String cursor = null;
            do {
                IndexedJournal.Page page = history.page(new IndexedJournal.Filter(null, null, cursor, null, null, 40));
                all.addAll(ids(page));
                cursor = page.next();
            } while (cursor != null);
            assertEquals(300, all.size());
            assertEquals("id-00299", all.get(0));
            assertEquals("id-00000", all.get(299));

            IndexedJournal.Page defects = history.page(new IndexedJournal.Filter(null, null, null, HistoryIndex.DEFECT, "folder", 5));
            assertEquals(List.of("id-00294", "id-00273", "id-00252", "id-00231", "id-00210"), ids(defects));
            assertTrue(defects.records().stream().allMatch(r -> "DEFECT".equals(r.verdict()) && "folder".equals(r.source())));
            IndexedJournal.Page rejected = history.page(new IndexedJournal.Filter(null, null, null, HistoryIndex.REJECTED, null, 3));
            assertEquals(List.of("id-00299", "id-00289", "id-00279"), ids(rejected));
            assertEquals("truncated", rejected.records().get(0).detail());

            assertEquals("n123", history.get("id-00123").orElseThrow().name());
            assertTrue(history.get("id-99999").isEmpty());
            assertThrows(IndexedJournal.UnknownCursor.class,
                    () -> history.page(new IndexedJournal.Filter(null, null, "id-99999", null, null, 5)));

            // Appended later: found after the next catch-up, nothing indexed twice.
            for (int i = 300; i < 310; i++) {
                journal.append(outcome(i));
            }
            history.catchUp();
            history.catchUp();
            assertEquals(310, history.indexedRecords());
            assertEquals("id-00309", ids(history.page(new IndexedJournal.Filter(null, null, null, null, null, 1))).get(0));

            // A fresh index over the same files (a restart) sees the same history.
            IndexedJournal restarted = new IndexedJournal(journal, 1_000_000);
            restarted.catchUp();
            assertEquals(310, restarted.indexedRecords());
        }
    }
}
