package io.lineside.sinks;

import io.lineside.inspection.Inspection;
import io.lineside.inspection.ModelIdentity;
import io.lineside.inspection.Outcome;
import io.lineside.inspection.Rejection;
import io.lineside.inspection.Verdict;
import io.lineside.model.ActiveModel;
import io.lineside.model.ModelActivated;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The latest state for the polled sinks (Modbus registers, OPC UA variables): the last outcome, a
 * sequence number and the GOOD/DEFECT/REJECTED counts since start. It observes the same committed
 * outcomes as {@code lineside_inspections_total} and {@code lineside_rejected_total}, so its counts
 * equal the sums of those counters.
 */
@ApplicationScoped
public class LineState {

    private static final Logger LOG = Logger.getLogger(LineState.class);

    /** What the last outcome was; {@code code} is its Modbus value. */
    public enum Kind {
        NONE(0), GOOD(1), DEFECT(2), REJECTED(3);

        public final int code;

        Kind(int code) {
            this.code = code;
        }
    }

    /** The last outcome; score and threshold are NaN for a rejection (nothing was scored). */
    public record Last(String id, Instant time, String source, String name, Kind kind, double score, double threshold) {
        static final Last NONE = new Last("", Instant.EPOCH, "", "", Kind.NONE, Double.NaN, Double.NaN);
    }

    /** One consistent view: every field describes the same moment. */
    public record Snapshot(long sequence, Last last, long good, long defect, long rejected) {
    }

    @Inject
    ActiveModel activeModel;

    private volatile Snapshot snapshot = new Snapshot(0, Last.NONE, 0, 0, 0);
    private final List<Consumer<Snapshot>> listeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> modelListeners = new CopyOnWriteArrayList<>();

    void onOutcome(@Observes Outcome outcome) {
        Snapshot next;
        synchronized (this) {
            Snapshot s = snapshot;
            Last last;
            long good = s.good();
            long defect = s.defect();
            long rejected = s.rejected();
            if (outcome instanceof Inspection i) {
                boolean isDefect = i.verdict() == Verdict.DEFECT;
                last = new Last(i.id(), Instant.now(), i.source(), i.name(), isDefect ? Kind.DEFECT : Kind.GOOD,
                        i.score(), i.threshold());
                if (isDefect) {
                    defect++;
                } else {
                    good++;
                }
            } else {
                Rejection r = (Rejection) outcome;
                last = new Last(r.id(), Instant.now(), r.source(), r.name(), Kind.REJECTED, Double.NaN, Double.NaN);
                rejected++;
            }
            next = new Snapshot(s.sequence() + 1, last, good, defect, rejected);
            snapshot = next;
        }
        for (Consumer<Snapshot> l : listeners) {
            try {
                l.accept(next);
            } catch (RuntimeException e) {
                LOG.errorf(e, "a line state listener failed on outcome %s (it is committed)", outcome.id());
            }
        }
    }

    void onModelActivated(@Observes ModelActivated event) {
        modelListeners.forEach(Runnable::run);
    }

    public Snapshot snapshot() {
        return snapshot;
    }

    /** Ready to inspect: a model is in service (as the readiness probe says). */
    public boolean ready() {
        return activeModel.current().isPresent();
    }

    /** The threshold in force now; NaN without a model. */
    public double threshold() {
        return activeModel.current().map(m -> m.threshold().value()).orElse(Double.NaN);
    }

    public Optional<ModelIdentity> model() {
        return activeModel.current().map(m -> m.bundle().identity());
    }

    /** Called on the inspecting thread after each commit: keep it short. */
    public void onChange(Consumer<Snapshot> listener) {
        listeners.add(listener);
    }

    public void onModelChange(Runnable listener) {
        modelListeners.add(listener);
    }
}
