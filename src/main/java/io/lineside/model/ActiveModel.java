package io.lineside.model;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The model in service, behind one {@link AtomicReference}. Swapping replaces the reference:
 * inspections that already took the old model ({@link #acquire()}) finish on it, and it is closed
 * after the last of them releases it.
 */
@ApplicationScoped
public class ActiveModel {
    private static final Logger LOG = Logger.getLogger(ActiveModel.class);

    private final AtomicReference<LoadedModel> current = new AtomicReference<>();
    private volatile String unavailableReason = "no model loaded yet";

    @Inject
    Event<ModelActivated> activated;

    /** The model in service, if any; for reading its description, not for scoring (use {@link #acquire()}). */
    public Optional<LoadedModel> current() {
        return Optional.ofNullable(current.get());
    }

    /** Why there is no model in service, when there is none. */
    public String unavailableReason() {
        return unavailableReason;
    }

    /**
     * Takes the model in service for one inspection; the caller must {@link LoadedModel#release()} it.
     *
     * @throws ModelUnavailableException when no model is loaded
     */
    public LoadedModel acquire() {
        while (true) {
            LoadedModel model = current.get();
            if (model == null) {
                throw new ModelUnavailableException(unavailableReason);
            }
            if (model.tryAcquire()) {
                return model;
            }
            // Retired between get() and tryAcquire(): the reference already holds its successor.
        }
    }

    /** Puts a validated model in service; the previous one retires once its inspections are done. */
    public void activate(LoadedModel model) {
        LoadedModel previous = current.getAndSet(model);
        LOG.infof("model in service: %s %s sha256=%s from %s, threshold %s (%s)",
                model.bundle().metadata().name(), model.bundle().metadata().version(), model.bundle().sha256(),
                model.bundle().origin(), model.threshold().value(), model.threshold().source());
        try {
            activated.fire(new ModelActivated(model, Optional.ofNullable(previous)));
        } finally {
            if (previous != null) {
                previous.retire();
            }
        }
    }

    /** Records why no model could be put in service (shown by readiness and the model API). */
    public void markUnavailable(String reason) {
        unavailableReason = reason;
    }

    /** Closes a loaded model that will not be put in service. */
    public static void discard(LoadedModel model) {
        model.discard();
    }
}
