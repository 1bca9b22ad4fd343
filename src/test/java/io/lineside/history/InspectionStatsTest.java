package io.lineside.history;

import io.lineside.inspection.Inspection;
import io.lineside.inspection.ModelIdentity;
import io.lineside.inspection.RejectReason;
import io.lineside.inspection.Rejection;
import io.lineside.inspection.Timings;
import io.lineside.inspection.Verdict;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class InspectionStatsTest {
    private static final Instant START = Instant.parse("2026-11-28T00:00:00Z");
    private static final ModelIdentity MODEL = new ModelIdentity("m", "1", "abc");
    private static final Timings TIMINGS = new Timings(1, 1, 1, 1, 4, 0);

    static Inspection inspection(String source, Verdict verdict, double score) {
        return new Inspection("id", "n", source, START, "sha", verdict, score, 0.5, MODEL, TIMINGS);
    }

    static Rejection rejection(String source) {
        return new Rejection("id", "n", source, START, "sha", RejectReason.CORRUPT, "truncated");
    }

    @Test
    void countsByVerdictAndSourceAndDefectRateWithinTheWindow() {
        InspectionStats stats = new InspectionStats(START);
        Instant now = START.plus(Duration.ofHours(2));
        // Two hours ago (outside 5m and 1h windows, inside 24h): 10 defects from the camera.
        for (int i = 0; i < 10; i++) {
            stats.record(inspection("cam1", Verdict.DEFECT, 0.9), START.plusSeconds(i));
        }
        // Last two minutes: 30 good + 10 defect from the folder, 5 good from api, 2 rejected.
        Instant recent = now.minusSeconds(120);
        for (int i = 0; i < 30; i++) {
            stats.record(inspection("folder", Verdict.GOOD, 0.1), recent.plusSeconds(i));
        }
        for (int i = 0; i < 10; i++) {
            stats.record(inspection("folder", Verdict.DEFECT, 0.8), recent.plusSeconds(i));
        }
        for (int i = 0; i < 5; i++) {
            stats.record(inspection("api", Verdict.GOOD, 0.2), recent.plusSeconds(i));
        }
        stats.record(rejection("folder"), recent);
        stats.record(rejection("folder"), recent);

        InspectionStats.Snapshot five = stats.snapshot(InspectionStats.Window.FIVE_MINUTES, now);
        assertEquals(35, five.good());
        assertEquals(10, five.defect());
        assertEquals(2, five.rejected());
        assertEquals(47, five.total());
        assertEquals(10 / 45.0, five.defectRate(), 1e-12);
        assertEquals(new InspectionStats.SourceCounts(30, 10, 2), five.bySource().get("folder"));
        assertEquals(new InspectionStats.SourceCounts(5, 0, 0), five.bySource().get("api"));
        assertEquals(null, five.bySource().get("cam1"));
        assertEquals(47 / 300.0, five.throughputPerSecond(), 1e-9);

        InspectionStats.Snapshot day = stats.snapshot(InspectionStats.Window.ONE_DAY, now);
        assertEquals(20, day.defect());
        assertEquals(new InspectionStats.SourceCounts(0, 10, 0), day.bySource().get("cam1"));
        // Only 2 h of the day have passed since start: throughput is over what was observed.
        assertEquals(57 / 7200.0, day.throughputPerSecond(), 1e-9);
    }

    @Test
    void quantilesAreWithinTwoPercentOfExact() {
        InspectionStats stats = new InspectionStats(START);
        Random random = new Random(7);
        double[] scores = new double[5000];
        Instant now = START.plusSeconds(3000);
        for (int i = 0; i < scores.length; i++) {
            scores[i] = Math.exp(random.nextGaussian() * 0.5 - 4); // ~0.018, log-normal like real scores
            stats.record(inspection("folder", Verdict.GOOD, scores[i]), now.minusMillis(i * 10L));
        }
        double[] sorted = scores.clone();
        Arrays.sort(sorted);
        InspectionStats.ScoreSummary s = stats.snapshot(InspectionStats.Window.ONE_HOUR, now).score();
        assertEquals(5000, s.count());
        assertEquals(sorted[0], s.min(), 0);
        assertEquals(sorted[4999], s.max(), 0);
        assertEquals(sorted[2499], s.p50(), sorted[2499] * 0.02);
        assertEquals(sorted[4499], s.p90(), sorted[4499] * 0.02);
        assertEquals(sorted[4949], s.p99(), sorted[4949] * 0.02);
    }

    @Test
    void emptyWindowHasNoRateAndNoQuantiles() {
        InspectionStats stats = new InspectionStats(START);
        InspectionStats.Snapshot s = stats.snapshot(InspectionStats.Window.FIVE_MINUTES, START.plusSeconds(600));
        assertEquals(0, s.total());
        assertNull(s.defectRate());
        assertNull(s.score().p50());
        assertEquals(0.0, s.throughputPerSecond());
    }

    @Test
    void oldBucketsAreReusedNotAccumulated() {
        InspectionStats stats = new InspectionStats(START);
        stats.record(inspection("a", Verdict.GOOD, 0.1), START);
        // 25 hours later the same ring slots are reused: the first record must be gone everywhere.
        Instant later = START.plus(Duration.ofHours(25));
        stats.record(inspection("a", Verdict.DEFECT, 0.1), later);
        assertEquals(0, stats.snapshot(InspectionStats.Window.ONE_DAY, later).good());
        assertEquals(1, stats.snapshot(InspectionStats.Window.ONE_DAY, later).defect());
        assertEquals(0, stats.snapshot(InspectionStats.Window.ONE_HOUR, later).good());
    }

    @Test
    void windowNamesAreTheApisAndOthersAreRefused() {
        assertEquals(InspectionStats.Window.ONE_HOUR, InspectionStats.Window.parse("1h"));
        assertThrows(IllegalArgumentException.class, () -> InspectionStats.Window.parse("2h"));
    }
}
