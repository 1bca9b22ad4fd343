package io.lineside.history;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.lineside.inspection.Timings;
import io.lineside.journal.Journal;
import io.lineside.journal.JournalRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Bench (not part of the normal test run): a journal of a million records in 16 files, indexed,
 * then queried the way the API does. Run with bench/history-index.sh; figures in the README.
 */
@EnabledIfSystemProperty(named = "lineside.bench", matches = "true")
class IndexedJournalBench {

    @Test
    void millionRecordJournal() throws Exception {
        int n = Integer.getInteger("lineside.bench.records", 1_000_000);
        Path dir = Path.of("target", "bench-journal");
        if (Files.exists(dir)) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        Files.createDirectories(dir);
        ObjectMapper mapper = new ObjectMapper().registerModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
        Instant t0 = Instant.now().minusSeconds(n / 20 + 60);
        LocalDate day = LocalDate.ofInstant(t0, ZoneOffset.UTC);
        int files = 16;
        long w0 = System.nanoTime();
        for (int f = 0; f < files; f++) {
            Path file = dir.resolve(String.format("journal-%s-%06d.jsonl", day, f + 1));
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
                for (int i = f * (n / files); i < (f + 1) * (n / files); i++) {
                    Instant time = t0.plusMillis(i * 50L); // 20 inspections per second
                    boolean rejected = i % 97 == 0;
                    JournalRecord r = new JournalRecord(String.format("01900000-0000-7000-8000-%012d", i), time, time,
                            i % 4 == 0 ? "camera-" + (i % 3) : "folder", "part-" + i + ".png", "ab".repeat(32),
                            rejected ? null : "cd".repeat(32), rejected ? null : "conv", rejected ? null : "1",
                            rejected ? null : 0.01 + (i % 1000) / 10000.0, rejected ? null : 0.08,
                            rejected ? null : (i % 50 == 0 ? "DEFECT" : "GOOD"), rejected ? Boolean.TRUE : null,
                            rejected ? "corrupt" : null, rejected ? "truncated JPEG" : null,
                            rejected ? null : new Timings(1.2, 0.8, 3.1, 0.2, 5.3, 0), "ef".repeat(32));
                    out.write(mapper.writeValueAsBytes(r));
                    out.write('\n');
                }
            }
        }
        long written = System.nanoTime();
        long bytes;
        try (Stream<Path> all = Files.list(dir)) {
            bytes = all.mapToLong(p -> p.toFile().length()).sum();
        }
        try (Journal journal = Journal.open(dir, 1L << 30, 0, Clock.systemUTC())) {
            Runtime rt = Runtime.getRuntime();
            System.gc();
            long heap0 = rt.totalMemory() - rt.freeMemory();
            long b0 = System.nanoTime();
            IndexedJournal history = new IndexedJournal(journal, 4_000_000);
            history.catchUp();
            long b1 = System.nanoTime();
            System.gc();
            long heap1 = rt.totalMemory() - rt.freeMemory();
            assertEquals(n / files * files, history.indexedRecords());

            // warm the query path a little (JIT), then measure each query once more
            for (int i = 0; i < 20; i++) {
                history.page(new IndexedJournal.Filter(null, null, null, null, null, 50));
                history.page(new IndexedJournal.Filter(null, null, null, HistoryIndex.DEFECT, "camera-1", 50));
            }
            long q0 = System.nanoTime();
            IndexedJournal.Page newest = history.page(new IndexedJournal.Filter(null, null, null, null, null, 50));
            long q1 = System.nanoTime();
            IndexedJournal.Page defects = history.page(new IndexedJournal.Filter(null, null, null, HistoryIndex.DEFECT, "camera-1", 50));
            long q2 = System.nanoTime();
            IndexedJournal.Page deep = history.page(new IndexedJournal.Filter(null, null, String.format("01900000-0000-7000-8000-%012d", 1234), null, null, 50));
            long q3 = System.nanoTime();
            IndexedJournal.Page none = history.page(new IndexedJournal.Filter(null, null, null, null, "camera-nobody", 50));
            IndexedJournal.Page sinceHour = history.page(new IndexedJournal.Filter(Instant.now().minusSeconds(3600), null, null,
                    HistoryIndex.REJECTED, null, 50));
            long q4 = System.nanoTime();
            String oldId = String.format("01900000-0000-7000-8000-%012d", 7);
            long g0 = System.nanoTime();
            history.get(oldId).orElseThrow();
            long g1 = System.nanoTime();
            assertEquals(50, newest.records().size());
            assertEquals(50, defects.records().size());
            assertEquals(50, deep.records().size());
            assertEquals(0, none.records().size());
            System.out.printf("history bench: %,d records, %.0f MB of journal in %d files (written in %.1f s)%n"
                            + "  index build (one forward scan): %.2f s, index heap ~%.0f MB%n"
                            + "  newest page of 50: %.2f ms; DEFECT + source page: %.2f ms; cursor + deep page: %.2f ms;"
                            + " unknown source + a since-1h REJECTED page: %.2f ms; get by id (oldest file): %.2f ms%n",
                    history.indexedRecords(), bytes / 1e6, files, (written - w0) / 1e9, (b1 - b0) / 1e9,
                    (heap1 - heap0) / 1e6, (q1 - q0) / 1e6, (q2 - q1) / 1e6, (q3 - q2) / 1e6, (q4 - q3) / 1e6,
                    (g1 - g0) / 1e6);
            if (sinceHour.records().isEmpty()) {
                System.out.println("  (no rejected records in the last hour of the synthetic journal)");
            }
        }
    }
}
