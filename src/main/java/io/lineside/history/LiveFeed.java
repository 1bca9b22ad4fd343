package io.lineside.history;

import io.lineside.inspection.Outcome;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.operators.multi.processors.BroadcastProcessor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.time.Instant;

/**
 * Every committed outcome, as it happens, for the SSE stream. A subscriber that cannot keep up
 * (a tablet on a weak Wi-Fi link) misses events rather than slowing the line or filling memory.
 */
@ApplicationScoped
public class LiveFeed {
    private final BroadcastProcessor<InspectionView> processor = BroadcastProcessor.create();

    @Inject
    Retention retention;

    /** Runs on the inspecting thread right after the commit; only hands the view over. */
    void onOutcome(@Observes Outcome outcome) {
        processor.onNext(InspectionView.of(outcome, Instant.now(), retention.willKeep(outcome)));
    }

    public Multi<InspectionView> subscribe() {
        return processor.onOverflow().drop();
    }
}
