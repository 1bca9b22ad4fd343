package io.lineside.history;

import io.lineside.inspection.Outcome;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.time.Instant;

/** Feeds every committed outcome into the rolling {@link InspectionStats}. */
@ApplicationScoped
public class StatsRecorder {
    private final InspectionStats stats = new InspectionStats(Instant.now());

    void onOutcome(@Observes Outcome outcome) {
        stats.record(outcome, Instant.now());
    }

    public InspectionStats.Snapshot snapshot(InspectionStats.Window window) {
        return stats.snapshot(window, Instant.now());
    }
}
