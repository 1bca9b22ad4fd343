package io.lineside.calibration;

import io.lineside.config.LinesideConfig;
import io.lineside.model.LoadedModel;
import io.lineside.model.ThresholdSource;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.Optional;

/**
 * The applied recalibration that survives restarts ({@code lineside.calibration.state-file}). It is
 * applied to a model before that model is put in service (at start-up, hot swap and rollback), and
 * only when the model's sha256 is the one it was calibrated for. It takes precedence over
 * {@code lineside.threshold} and the model's metadata: applying it was the later, explicit decision.
 */
@ApplicationScoped
public class PersistedThreshold {

    private static final Logger LOG = Logger.getLogger(PersistedThreshold.class);

    @Inject
    LinesideConfig config;

    private ThresholdStateFile file;

    @PostConstruct
    void init() {
        file = new ThresholdStateFile(config.calibration().stateFile());
    }

    /** Sets the persisted threshold on {@code model} if it was calibrated for exactly this model; returns the model. */
    public LoadedModel applyTo(LoadedModel model) {
        Optional<ThresholdState> state = file.read();
        String sha = model.bundle().sha256();
        if (state.isPresent() && state.get().appliesTo(sha)) {
            ThresholdState s = state.get();
            model.setThreshold(s.threshold(), ThresholdSource.CALIBRATION);
            LOG.infof("applied the persisted calibrated threshold %s (alpha %s, n %d, applied %s) to model sha256=%s",
                    s.threshold(), s.alpha(), s.n(), s.appliedAt(), sha);
        } else if (state.isPresent()) {
            LOG.infof("the persisted calibrated threshold in %s is for model sha256=%s, not for sha256=%s: not applied",
                    file.path(), state.get().modelSha256(), sha);
        }
        return model;
    }

    /** The persisted state, whichever model it names. */
    public Optional<ThresholdState> read() {
        return file.read();
    }

    /** Persists {@code state} atomically; it is in force for its model from the next load on. */
    public void persist(ThresholdState state) {
        file.write(state);
    }

    public java.nio.file.Path path() {
        return file.path();
    }
}
