package io.lineside.calibration;

import io.lineside.inspection.Inspection;
import io.lineside.inspection.Outcome;
import io.lineside.inspection.Verdict;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.ArrayList;
import java.util.List;

/**
 * The last {@link #CAPACITY} verdicts (model sha256, score, verdict), for "how many recent
 * inspections would change verdict under a new threshold". Fed by the pipeline's outcome events, so
 * it holds what was inspected since start-up.
 */
@ApplicationScoped
public class RecentVerdicts {

    public static final int CAPACITY = 1000;

    /** One past verdict: what the new threshold is compared with. */
    public record Verdicted(String modelSha256, double score, Verdict verdict) {
    }

    private final Verdicted[] ring = new Verdicted[CAPACITY];
    private long count;

    void onOutcome(@Observes Outcome outcome) {
        if (outcome instanceof Inspection inspection) {
            add(new Verdicted(inspection.model().sha256(), inspection.score(), inspection.verdict()));
        }
    }

    synchronized void add(Verdicted v) {
        ring[(int) (count++ % CAPACITY)] = v;
    }

    /** Up to the last {@code n} verdicts (n at most {@link #CAPACITY}), oldest first. */
    public synchronized List<Verdicted> last(int n) {
        int size = (int) Math.min(Math.min(n, CAPACITY), count);
        List<Verdicted> out = new ArrayList<>(size);
        for (long i = count - size; i < count; i++) {
            out.add(ring[(int) (i % CAPACITY)]);
        }
        return out;
    }

    /** Where {@link #last} comes from, for the report. */
    public String description() {
        return "inspections since start-up (in memory)";
    }
}
