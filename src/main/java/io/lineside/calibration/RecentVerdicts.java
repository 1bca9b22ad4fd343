package io.lineside.calibration;

import io.lineside.inspection.Verdict;
import io.lineside.journal.Journal;
import io.lineside.journal.JournalRecord;
import io.lineside.journal.RecordCursor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The last {@link #CAPACITY} journaled inspections (model sha256, score, verdict), read back from the
 * verdict journal, for "how many recent inspections would change verdict under a new threshold".
 * Rejections (no score) are skipped, so it is the last 1000 inspections, across restarts.
 */
@ApplicationScoped
public class RecentVerdicts {

    public static final int CAPACITY = 1000;

    /** One past verdict: what the new threshold is compared with. */
    public record Verdicted(String modelSha256, double score, Verdict verdict) {
    }

    @Inject
    Journal journal;

    /** Up to the last {@code n} journaled inspections (n at most {@link #CAPACITY}), oldest first. */
    public List<Verdicted> last(int n) {
        int wanted = Math.min(n, CAPACITY);
        List<Verdicted> out = new ArrayList<>(wanted);
        try (RecordCursor records = journal.newestFirst(null)) {
            while (out.size() < wanted && records.hasNext()) {
                JournalRecord r = records.next().record();
                if (r.wasRejected() || r.score() == null || r.verdict() == null || r.modelSha256() == null) {
                    continue;
                }
                out.add(new Verdicted(r.modelSha256(), r.score(), Verdict.valueOf(r.verdict())));
            }
        }
        Collections.reverse(out);
        return out;
    }

    /** Where {@link #last} comes from, for the report. */
    public String description() {
        return "verdict journal";
    }
}
