package io.lineside.history;

import io.lineside.inspection.Inspection;
import io.lineside.inspection.Outcome;
import io.lineside.inspection.Verdict;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Rolling counts and score distribution of recent outcomes, in fixed memory whatever the rate:
 * 10-second buckets for the last hour and 5-minute buckets for the last 24 hours, each holding
 * counts per source and verdict and a log-scale score histogram (64 bins per decade over
 * 1e-7..10, so a quantile is within about 1.8 % of the exact value; it is also clamped to the
 * exact window minimum and maximum).
 */
public final class InspectionStats {
    /** The windows the API offers. */
    public enum Window {
        FIVE_MINUTES("5m", Duration.ofMinutes(5)),
        ONE_HOUR("1h", Duration.ofHours(1)),
        ONE_DAY("24h", Duration.ofHours(24));

        public final String label;
        public final Duration length;

        Window(String label, Duration length) {
            this.label = label;
            this.length = length;
        }

        public static Window parse(String text) {
            for (Window w : values()) {
                if (w.label.equals(text)) {
                    return w;
                }
            }
            throw new IllegalArgumentException("window must be one of 5m, 1h, 24h; got '" + text + "'");
        }
    }

    static final int MAX_SOURCES = 32;
    static final String OTHER_SOURCE = "other";
    private static final double LOG_MIN = -7;
    private static final int BINS_PER_DECADE = 64;
    private static final int BINS = 8 * BINS_PER_DECADE + 2; // + underflow (<=1e-7, incl. 0) and overflow (>=10)

    private final Ring fine = new Ring(10_000, 360 + 1);
    private final Ring coarse = new Ring(300_000, 288 + 1);
    private final Instant startedAt;

    public InspectionStats(Instant startedAt) {
        this.startedAt = startedAt;
    }

    public synchronized void record(Outcome outcome, Instant at) {
        long t = at.toEpochMilli();
        fine.bucket(t).add(outcome);
        coarse.bucket(t).add(outcome);
    }

    /** Per-source counts: good, defect, rejected. */
    @RegisterForReflection
    public record SourceCounts(long good, long defect, long rejected) {
    }

    @RegisterForReflection
    public record ScoreSummary(long count, Double min, Double p50, Double p90, Double p99, Double max) {
    }

    @RegisterForReflection
    public record Snapshot(String window, Instant from, Instant to, double seconds, long total, long good,
                           long defect, long rejected, Double defectRate, double throughputPerSecond,
                           Map<String, SourceCounts> bySource, ScoreSummary score) {
    }

    public synchronized Snapshot snapshot(Window window, Instant now) {
        Ring ring = window == Window.FIVE_MINUTES || window == Window.ONE_HOUR ? fine : coarse;
        long to = now.toEpochMilli();
        long from = to - window.length.toMillis();
        Bucket sum = new Bucket();
        ring.sumSince(from, to, sum);
        long effectiveFrom = Math.max(from, startedAt.toEpochMilli());
        double seconds = Math.max(1e-3, (to - effectiveFrom) / 1000.0);
        long good = 0;
        long defect = 0;
        long rejected = 0;
        Map<String, SourceCounts> bySource = new TreeMap<>();
        for (Map.Entry<String, long[]> e : sum.counts.entrySet()) {
            long[] c = e.getValue();
            good += c[0];
            defect += c[1];
            rejected += c[2];
            bySource.put(e.getKey(), new SourceCounts(c[0], c[1], c[2]));
        }
        long total = good + defect + rejected;
        Double rate = good + defect == 0 ? null : defect / (double) (good + defect);
        return new Snapshot(window.label, Instant.ofEpochMilli(effectiveFrom), now, seconds, total, good, defect,
                rejected, rate, total / seconds, bySource, sum.scores());
    }

    private static int bin(double score) {
        if (!(score > Math.pow(10, LOG_MIN))) {
            return 0;
        }
        int b = 1 + (int) Math.floor((Math.log10(score) - LOG_MIN) * BINS_PER_DECADE);
        return Math.min(b, BINS - 1);
    }

    /** Geometric middle of a bin: the estimate reported for scores that fell into it. */
    private static double binValue(int bin) {
        if (bin == 0) {
            return 0;
        }
        return Math.pow(10, LOG_MIN + (bin - 1 + 0.5) / BINS_PER_DECADE);
    }

    /** A ring of equal time buckets; a bucket is reset when its slot is reused for a newer interval. */
    private static final class Ring {
        private final long width;
        private final Bucket[] buckets;
        private final long[] starts;

        Ring(long widthMillis, int count) {
            this.width = widthMillis;
            this.buckets = new Bucket[count];
            this.starts = new long[count];
            for (int i = 0; i < count; i++) {
                buckets[i] = new Bucket();
                starts[i] = Long.MIN_VALUE;
            }
        }

        Bucket bucket(long t) {
            long start = Math.floorDiv(t, width) * width;
            int slot = (int) Math.floorMod(Math.floorDiv(t, width), (long) buckets.length);
            if (starts[slot] != start) {
                if (starts[slot] > start) {
                    return new Bucket(); // older than the ring reaches: counted nowhere
                }
                buckets[slot].clear();
                starts[slot] = start;
            }
            return buckets[slot];
        }

        /** Adds buckets that overlap (from, to]. The oldest one may start up to one width before from. */
        void sumSince(long from, long to, Bucket into) {
            for (int i = 0; i < buckets.length; i++) {
                long start = starts[i];
                if (start != Long.MIN_VALUE && start + width > from && start <= to) {
                    into.addAll(buckets[i]);
                }
            }
        }
    }

    private static final class Bucket {
        /** source -> {good, defect, rejected}. */
        final Map<String, long[]> counts = new LinkedHashMap<>();
        int[] histogram;
        long scored;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;

        void clear() {
            counts.clear();
            histogram = null;
            scored = 0;
            min = Double.POSITIVE_INFINITY;
            max = Double.NEGATIVE_INFINITY;
        }

        void add(Outcome outcome) {
            String source = outcome.source();
            long[] c = counts.get(source);
            if (c == null) {
                if (counts.size() >= MAX_SOURCES) {
                    source = OTHER_SOURCE;
                }
                c = counts.computeIfAbsent(source, s -> new long[3]);
            }
            if (outcome instanceof Inspection inspection) {
                c[inspection.verdict() == Verdict.DEFECT ? 1 : 0]++;
                double s = inspection.score();
                if (histogram == null) {
                    histogram = new int[BINS];
                }
                histogram[bin(s)]++;
                scored++;
                min = Math.min(min, s);
                max = Math.max(max, s);
            } else {
                c[2]++;
            }
        }

        void addAll(Bucket other) {
            other.counts.forEach((source, c) -> {
                long[] mine = counts.computeIfAbsent(source, s -> new long[3]);
                for (int i = 0; i < 3; i++) {
                    mine[i] += c[i];
                }
            });
            if (other.histogram != null) {
                if (histogram == null) {
                    histogram = new int[BINS];
                }
                for (int i = 0; i < BINS; i++) {
                    histogram[i] += other.histogram[i];
                }
            }
            scored += other.scored;
            min = Math.min(min, other.min);
            max = Math.max(max, other.max);
        }

        ScoreSummary scores() {
            if (scored == 0) {
                return new ScoreSummary(0, null, null, null, null, null);
            }
            return new ScoreSummary(scored, min, quantile(0.5), quantile(0.9), quantile(0.99), max);
        }

        /** Nearest-rank quantile from the histogram, clamped to the exact extremes. */
        double quantile(double q) {
            long rank = Math.max(1, (long) Math.ceil(q * scored));
            long cumulative = 0;
            for (int i = 0; i < BINS; i++) {
                cumulative += histogram[i];
                if (cumulative >= rank) {
                    return Math.min(max, Math.max(min, binValue(i)));
                }
            }
            return max;
        }
    }
}
