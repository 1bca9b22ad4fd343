package io.lineside.journal;

import io.lineside.inspection.Inspection;
import io.lineside.inspection.ModelIdentity;
import io.lineside.inspection.Outcome;
import io.lineside.inspection.RejectReason;
import io.lineside.inspection.Rejection;
import io.lineside.inspection.Timings;
import io.lineside.inspection.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JournalTest {

    static final ModelIdentity MODEL = new ModelIdentity("synthetic-ring", "1", "ab".repeat(32));

    @TempDir
    Path dir;

    final MutableClock clock = new MutableClock(Instant.parse("2026-11-28T10:00:00Z"));

    static Inspection inspection(int i) {
        return new Inspection("id-" + i, "part-" + i + ".png", "folder", Instant.parse("2026-11-28T09:59:59Z"),
                String.format("%064x", i), i % 3 == 0 ? Verdict.DEFECT : Verdict.GOOD, 0.01 * i, 0.05, MODEL,
                new Timings(1, 2, 3, 0.5, 6.5, 0));
    }

    static Rejection rejection(int i) {
        return new Rejection("id-" + i, "broken-" + i + ".jpg", "folder", Instant.parse("2026-11-28T09:59:59Z"),
                String.format("%064x", i), RejectReason.CORRUPT, "JPEG ends early");
    }

    Journal open(long maxFileSize, int retentionDays) throws IOException {
        return Journal.open(dir, maxFileSize, retentionDays, clock);
    }

    List<Path> journalFiles() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted().toList();
        }
    }

    @Test
    void aRecordJournaledBeforeTheQueueWasMeasuredStillReads() throws Exception {
        JournalRecord written = JournalRecord.of(inspection(1), clock.instant(), Journal.GENESIS_SHA256);
        String json = new String(Journal.toJson(written), StandardCharsets.UTF_8);
        assertTrue(json.contains(",\"queue\":0.0}"), json);
        JournalRecord old = Journal.parse(json.replace(",\"queue\":0.0}", "}").getBytes(StandardCharsets.UTF_8));
        assertEquals(written.timingsMs(), old.timingsMs());
        assertEquals(0.0, old.timingsMs().queue());
    }

    @Test
    void appendsChainedRecordsAndReadsThemBack() throws IOException {
        try (Journal j = open(64 << 20, 0)) {
            JournalRecord first = j.append(inspection(1));
            JournalRecord second = j.append(rejection(2));
            JournalRecord third = j.append(inspection(3));

            assertEquals(Journal.GENESIS_SHA256, first.prevSha256());
            assertEquals("GOOD", first.verdict());
            assertEquals(MODEL.sha256(), first.modelSha256());
            assertEquals(0.05, first.threshold());
            assertTrue(second.wasRejected());
            assertEquals("corrupt", second.reason());
            assertEquals("JPEG ends early", second.detail());
            assertNull(second.verdict());
            assertEquals("DEFECT", third.verdict());

            List<String> lines = Files.readAllLines(journalFiles().get(0));
            assertEquals(3, lines.size());
            assertFalse(lines.get(0).contains("rejected"), "an inspection carries no rejected field: " + lines.get(0));
            assertTrue(lines.get(0).startsWith("{\"id\":\"id-1\",\"time\":\"2026-11-28T10:00:00Z\""), lines.get(0));
            assertEquals(sha(lines.get(0)), second.prevSha256());
            assertEquals(sha(lines.get(1)), third.prevSha256());
            assertFalse(lines.get(1).contains("\"verdict\""), "a rejection carries no verdict: " + lines.get(1));
            assertTrue(lines.get(1).contains("\"rejected\":true"), lines.get(1));

            List<String> forward = new ArrayList<>();
            try (RecordCursor c = j.forward(null)) {
                c.forEachRemaining(e -> forward.add(e.record().id()));
            }
            assertEquals(List.of("id-1", "id-2", "id-3"), forward);

            List<JournalEntry> newest = new ArrayList<>();
            try (RecordCursor c = j.newestFirst(null)) {
                c.forEachRemaining(newest::add);
            }
            assertEquals(List.of("id-3", "id-2", "id-1"), newest.stream().map(e -> e.record().id()).toList());

            // Paging: continue newest-first before a position, and forward from one.
            try (RecordCursor c = j.newestFirst(newest.get(0).position())) {
                assertEquals("id-2", c.next().record().id());
            }
            try (RecordCursor c = j.forward(newest.get(1).position())) {
                assertEquals("id-2", c.next().record().id());
                assertEquals("id-3", c.next().record().id());
                assertFalse(c.hasNext());
            }
            assertEquals(List.of("id-2", "id-3"), j.last(2).stream().map(JournalRecord::id).toList());
            assertEquals("id-2", j.findById("id-2").orElseThrow().record().id());
            assertTrue(j.verify().ok());
        }
        // After a restart the in-memory cache is empty: lookup scans the files, and the chain continues.
        try (Journal j = open(64 << 20, 0)) {
            JournalEntry found = j.findById("id-1").orElseThrow();
            assertEquals("part-1.png", found.record().name());
            assertTrue(j.findById("no-such-id").isEmpty());
            JournalRecord fourth = j.append(inspection(4));
            assertEquals(sha(Files.readAllLines(journalFiles().get(0)).get(2)), fourth.prevSha256());
            VerifyReport report = j.verify();
            assertTrue(report.ok(), report.toString());
            assertEquals(4, report.records());
        }
    }

    @Test
    void concurrentAppendersAreGroupCommittedIntoOneUnbrokenChain() throws Exception {
        int threads = 8;
        int each = 150;
        try (Journal j = open(64 << 20, 0)) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int base = t * each;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < each; i++) {
                        j.append(inspection(base + i));
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
            pool.shutdown();
            VerifyReport report = j.verify();
            assertTrue(report.ok(), report.toString());
            assertEquals((long) threads * each, report.records());
            Set<String> ids = new HashSet<>();
            try (RecordCursor c = j.forward(null)) {
                c.forEachRemaining(e -> ids.add(e.record().id()));
            }
            assertEquals(threads * each, ids.size());
        }
    }

    @Test
    void verifyFindsAnEditedRecord() throws IOException {
        writeRecords(5);
        Path file = journalFiles().get(0);
        List<String> lines = new ArrayList<>(Files.readAllLines(file));
        lines.set(1, lines.get(1).replace("\"verdict\":\"GOOD\"", "\"verdict\":\"DEFECT\""));
        Files.write(file, lines);

        VerifyReport report = JournalVerifier.verify(dir);
        assertFalse(report.ok());
        assertEquals(file.getFileName().toString(), report.firstBroken().file());
        assertEquals(3, report.firstBroken().line(), "the link after the edited line 2 breaks");
        assertTrue(report.firstBroken().reason().contains("edited"), report.firstBroken().reason());
        assertEquals(2, report.records());
    }

    @Test
    void verifyFindsARemovedRecord() throws IOException {
        writeRecords(5);
        Path file = journalFiles().get(0);
        List<String> lines = new ArrayList<>(Files.readAllLines(file));
        lines.remove(2);
        Files.write(file, lines);

        VerifyReport report = JournalVerifier.verify(dir);
        assertFalse(report.ok());
        assertEquals(3, report.firstBroken().line());
        assertTrue(report.firstBroken().reason().contains("removed"), report.firstBroken().reason());
    }

    @Test
    void theRunningJournalAlsoCatchesAnEditOfItsLastRecord() throws IOException {
        try (Journal j = open(64 << 20, 0)) {
            for (int i = 0; i < 3; i++) {
                j.append(inspection(i + 1));
            }
            Path file = journalFiles().get(0);
            String text = Files.readString(file).replace("\"score\":0.03", "\"score\":0.01");
            Files.writeString(file, text);
            VerifyReport report = j.verify();
            assertFalse(report.ok());
            assertEquals(3, report.firstBroken().line());
            assertTrue(report.firstBroken().reason().contains("last record"), report.firstBroken().reason());
        }
    }

    @Test
    void aTornLastLineIsCutAwayKeptAsideAndTheChainContinues() throws IOException {
        writeRecords(3);
        Path file = journalFiles().get(0);
        byte[] intact = Files.readAllBytes(file);
        String torn = "{\"id\":\"id-4\",\"time\":\"2026-11-28T10:0";
        Files.write(file, torn.getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);

        VerifyReport before = JournalVerifier.verify(dir);
        assertFalse(before.ok());
        assertEquals(4, before.firstBroken().line());
        assertTrue(before.firstBroken().reason().contains("torn"), before.firstBroken().reason());

        try (Journal j = open(64 << 20, 0)) {
            assertEquals(new String(intact, StandardCharsets.UTF_8), Files.readString(file));
            List<Path> tornCopies;
            try (Stream<Path> s = Files.list(dir)) {
                tornCopies = s.filter(p -> p.getFileName().toString().endsWith(".torn")).toList();
            }
            assertEquals(1, tornCopies.size());
            assertEquals(torn, Files.readString(tornCopies.get(0)));

            JournalRecord next = j.append(inspection(4));
            List<String> lines = Files.readAllLines(file);
            assertEquals(sha(lines.get(2)), next.prevSha256());
            VerifyReport after = j.verify();
            assertTrue(after.ok(), after.toString());
            assertEquals(4, after.records());
        }
        assertTrue(JournalVerifier.verify(dir).ok());
    }

    @Test
    void rotatesBySizeAndByDayAndRetentionKeepsVerifyGreen() throws IOException {
        try (Journal j = open(2000, 2)) {
            for (int day = 0; day < 5; day++) {
                for (int i = 0; i < 12; i++) {
                    j.append(inspection(day * 100 + i));
                    clock.advance(Duration.ofMinutes(1));
                }
                assertTrue(j.verify().ok(), "day " + day + ": " + j.verify());
                clock.advance(Duration.ofDays(1));
            }
            j.append(inspection(999)); // first append of day 5 rotates and applies retention
            List<String> names = journalFiles().stream().map(p -> p.getFileName().toString()).toList();
            assertTrue(names.stream().noneMatch(n -> n.contains("2026-11-28") || n.contains("2026-11-29")
                    || n.contains("2026-11-30")), "files older than 2 days are gone: " + names);
            assertTrue(names.stream().filter(n -> n.contains("2026-12-01")).count() > 1,
                    "a day's records span several files at 2000 bytes: " + names);
            assertTrue(Files.exists(dir.resolve(JournalFiles.ANCHOR)));

            VerifyReport report = j.verify();
            assertTrue(report.ok(), report.toString());
            assertEquals(2 * 12 + 1, report.records());
            assertTrue(JournalVerifier.verify(dir).ok());
            assertEquals(25, j.last(1000).size());
        }
        // Removing the oldest kept file by hand is not retention: verify says so.
        Files.delete(journalFiles().get(0));
        VerifyReport report = JournalVerifier.verify(dir);
        assertFalse(report.ok());
        assertEquals(1, report.firstBroken().line());
        assertTrue(report.firstBroken().reason().contains("were removed"), report.firstBroken().reason());
    }

    @Test
    void removingTheFirstFileWithoutRetentionIsCaught() throws IOException {
        try (Journal j = open(1500, 0)) {
            for (int i = 0; i < 12; i++) {
                j.append(inspection(i));
            }
        }
        assertTrue(journalFiles().size() > 2);
        Files.delete(journalFiles().get(0));
        VerifyReport report = JournalVerifier.verify(dir);
        assertFalse(report.ok());
        assertTrue(report.firstBroken().reason().contains("genesis"), report.firstBroken().reason());
    }

    @Test
    void recordsFromEveryOutcomeKindRoundTrip() throws IOException {
        try (Journal j = open(64 << 20, 0)) {
            for (Outcome o : List.of(inspection(7), rejection(8))) {
                JournalRecord written = j.append(o);
                JournalRecord read = j.findById(o.id()).orElseThrow().record();
                assertEquals(written, read);
                assertNotNull(read.time());
            }
        }
    }

    @Test
    void aFailedWriteGivesAnErrorLeavesNoRecordAndRecovers() throws IOException {
        Path jdir = dir.resolve("j");
        try (Journal j = Journal.open(jdir, 64 << 20, 0, clock)) {
            j.append(inspection(1));
            // The next append must start a new file (new day) in a directory that is no longer there.
            clock.advance(Duration.ofDays(1));
            Path moved = dir.resolve("j-away");
            Files.move(jdir, moved);
            Files.writeString(jdir, "not a directory");

            JournalUnavailableException e = org.junit.jupiter.api.Assertions.assertThrows(
                    JournalUnavailableException.class, () -> j.append(inspection(2)));
            assertTrue(e.getMessage().startsWith("journal unavailable"), e.getMessage());
            assertNotNull(j.failure());
            assertNotNull(j.probeRecovery(), "still not writable");

            Files.delete(jdir);
            Files.move(moved, jdir);
            assertNull(j.probeRecovery(), "writable again");
            assertNull(j.failure());
            j.append(inspection(3));
            VerifyReport report = j.verify();
            assertTrue(report.ok(), report.toString());
            assertEquals(2, report.records());
            assertTrue(j.findById("id-2").isEmpty(), "the failed outcome left no record");
        }
    }

    private void writeRecords(int n) throws IOException {
        try (Journal j = open(64 << 20, 0)) {
            for (int i = 0; i < n; i++) {
                j.append(inspection(i + 1));
            }
            assertTrue(j.verify().ok());
        }
        assertTrue(JournalVerifier.verify(dir).ok());
    }

    static String sha(String line) {
        byte[] b = line.getBytes(StandardCharsets.UTF_8);
        return JournalFiles.sha256Hex(b, 0, b.length);
    }

    static final class MutableClock extends Clock {
        private Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        synchronized void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public synchronized Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
