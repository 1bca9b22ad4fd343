package io.lineside.model.lifecycle;

import io.lineside.calibration.CalibrationRefused;
import io.lineside.calibration.PersistedThreshold;
import io.lineside.calibration.ThresholdState;
import io.lineside.config.LinesideConfig;
import io.lineside.model.ActiveModel;
import io.lineside.model.LoadedModel;
import io.lineside.model.ModelBundle;
import io.lineside.model.ModelStartup;
import io.lineside.model.ModelValidationException;
import io.lineside.model.ThresholdSource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one place that changes the model in service after start-up: hot swap from the watched file,
 * {@code PUT /api/v1/model}, and rollback. A candidate is loaded beside the model in service,
 * validated (contract and a warm-up inference on every buffer set, by {@link io.lineside.model.ModelLoader}),
 * given its persisted calibrated threshold if it has one, and only then switched in atomically
 * ({@link ActiveModel#activate}); inspections in flight finish on the old model, which is closed
 * after the last of them. A refused candidate is closed and changes nothing.
 *
 * <p>Changes are serialised: one candidate is loaded at a time. Every attempt is logged, counted in
 * {@code lineside_model_reload_total{outcome}} and kept as {@link #lastReload()}.
 */
@ApplicationScoped
public class ModelLifecycle {

    private static final Logger LOG = Logger.getLogger(ModelLifecycle.class);

    @Inject
    ActiveModel activeModel;

    @Inject
    ModelStartup startup;

    @Inject
    PersistedThreshold persistedThreshold;

    @Inject
    LinesideConfig config;

    @Inject
    MeterRegistry registry;

    private final ReentrantLock changes = new ReentrantLock();
    private final Map<ReloadOutcome, Counter> counters = new EnumMap<>(ReloadOutcome.class);
    /** The model that was in service before the current one; what rollback restores. */
    private volatile ModelBundle previous;
    private volatile ReloadReport lastReload;

    void onStart(@Observes StartupEvent event) {
        counters();
    }

    /** The last attempt to change the model, if any since start-up. */
    public Optional<ReloadReport> lastReload() {
        return Optional.ofNullable(lastReload);
    }

    /** The model rollback would restore, if any. */
    public Optional<ModelBundle> previous() {
        return Optional.ofNullable(previous);
    }

    /**
     * The watched file changed to {@code onnx}: load, validate and switch, or refuse and keep serving.
     * The watcher read the file without the lock, so an upload or rollback may have written a newer model
     * there since: under the lock, bytes that are no longer the file's content are set aside ("superseded")
     * instead of putting an older model back in service; the watcher takes the newer content at its next poll.
     */
    public ReloadReport replaceFromFile(byte[] onnx, Path file) {
        changes.lock();
        try {
            String sha = ModelBundle.sha256(onnx);
            String onDisk;
            try {
                onDisk = ModelBundle.sha256(Files.readAllBytes(file));
            } catch (IOException e) {
                onDisk = "unreadable (" + e + ")";
            }
            if (!onDisk.equals(sha)) {
                LOG.infof("model file %s changed while it was being read (sha256=%s read, %s now): not loaded; "
                        + "the watcher takes the file's present content at its next poll", file, sha, onDisk);
                return new ReloadReport("superseded", "file", sha, file.toString(),
                        "the file changed again before this content was loaded", Instant.now(), null);
            }
            return replace(onnx, file.toString(), "file", false);
        } finally {
            changes.unlock();
        }
    }

    /**
     * {@code PUT /api/v1/model}: load, validate and switch; the model it replaces is kept for rollback.
     * With {@code lineside.model.path} set, the new model is also written there (atomically) so it
     * survives a restart.
     *
     * @throws ModelRefused when the model is invalid (422) or could not be loaded
     */
    public ReloadReport replaceFromUpload(byte[] onnx) {
        return replace(onnx, "api", "api", true);
    }

    /**
     * {@code POST /api/v1/model/rollback}: puts the previous model back in service (validated again,
     * like any candidate). The model it replaces becomes the previous one, so a second rollback undoes
     * the first.
     *
     * @throws ModelRefused 409 when there is no previous model
     */
    public ReloadReport rollback() {
        changes.lock();
        try {
            ModelBundle target = previous;
            if (target == null) {
                throw new ModelRefused(409, "no-previous-model",
                        "There is no previous model to roll back to: the model has not been changed since start-up", null);
            }
            return switchTo(target.onnx(), target.origin(), "rollback", true, ReloadOutcome.ROLLBACK);
        } finally {
            changes.unlock();
        }
    }

    private ReloadReport replace(byte[] onnx, String origin, String trigger, boolean persist) {
        changes.lock();
        try {
            String sha = ModelBundle.sha256(onnx);
            Optional<LoadedModel> current = activeModel.current();
            if (current.isPresent() && current.get().bundle().sha256().equals(sha)) {
                LOG.infof("model from %s (sha256=%s) is the one already in service: nothing to do", origin, sha);
                return new ReloadReport("unchanged", trigger, sha, origin,
                        "this model is already in service", Instant.now(), null);
            }
            return switchTo(onnx, origin, trigger, persist, ReloadOutcome.SUCCESS);
        } finally {
            changes.unlock();
        }
    }

    /** Called with the lock held. */
    private ReloadReport switchTo(byte[] onnx, String origin, String trigger, boolean persist, ReloadOutcome success) {
        String sha = ModelBundle.sha256(onnx);
        LoadedModel candidate;
        try {
            candidate = startup.load(onnx, origin);
        } catch (ModelValidationException e) {
            throw refuse(422, "invalid-model", ReloadOutcome.INVALID, trigger, sha, origin,
                    "model refused, the model in service keeps serving: " + e.getMessage());
        } catch (RuntimeException | OutOfMemoryError e) {
            throw refuse(500, "model-load-failed", ReloadOutcome.ERROR, trigger, sha, origin,
                    "model could not be loaded, the model in service keeps serving: " + e);
        }
        persistedThreshold.applyTo(candidate);
        Boolean persisted = persist ? writeModelFile(onnx) : null;
        Optional<LoadedModel> replaced = activeModel.current();
        activeModel.activate(candidate);
        replaced.ifPresent(old -> previous = old.bundle());
        String message = (success == ReloadOutcome.ROLLBACK ? "rolled back to " : "now serving ")
                + candidate.bundle().identity().name() + " " + candidate.bundle().identity().version()
                + replaced.map(old -> " (replaced sha256=" + old.bundle().sha256() + ")").orElse("")
                + (Boolean.FALSE.equals(persisted) ? "; NOT written to lineside.model.path, a restart would load the old file" : "");
        ReloadReport report = new ReloadReport(success.label(), trigger, sha, origin, message, Instant.now(), persisted);
        record(success, report);
        LOG.infof("model %s from %s: %s", success.label(), origin, message);
        return report;
    }

    private ModelRefused refuse(int status, String error, ReloadOutcome outcome, String trigger, String sha,
                                String origin, String message) {
        ReloadReport report = new ReloadReport(outcome.label(), trigger, sha, origin, message, Instant.now(), null);
        record(outcome, report);
        LOG.warnf("model from %s (sha256=%s) %s", origin, sha, message);
        return new ModelRefused(status, error, message, report);
    }

    /**
     * Persists a recalibrated threshold and puts it in force on {@code scored}, provided that model is
     * still the one in service (a swap during calibration makes the threshold meaningless). Persisted
     * first: if that fails, nothing changes. {@code lineside_threshold} follows (it reads the model in service).
     *
     * @return the state file written
     */
    public Path applyCalibratedThreshold(LoadedModel scored, ThresholdState state) {
        changes.lock();
        try {
            Optional<LoadedModel> current = activeModel.current();
            if (current.isEmpty() || current.get() != scored) {
                throw new CalibrationRefused(409, "model-changed",
                        "The model in service changed while the images were being scored; nothing was applied. Run the calibration again.");
            }
            try {
                persistedThreshold.persist(state);
            } catch (RuntimeException e) {
                throw new CalibrationRefused(500, "state-not-written",
                        "The threshold could not be persisted, so it was not applied: " + e.getMessage());
            }
            scored.setThreshold(state.threshold(), ThresholdSource.CALIBRATION);
            LOG.infof("threshold %s applied to model sha256=%s and persisted in %s",
                    state.threshold(), state.modelSha256(), persistedThreshold.path());
            return persistedThreshold.path();
        } finally {
            changes.unlock();
        }
    }

    /** A file-triggered read that failed before loading (I/O): counted and shown like any attempt. */
    public void recordUnreadable(Path file, String message) {
        ReloadReport report = new ReloadReport(ReloadOutcome.ERROR.label(), "file", null, file.toString(),
                "model file could not be read, the model in service keeps serving: " + message, Instant.now(), null);
        record(ReloadOutcome.ERROR, report);
        LOG.warn(report.message());
    }

    private void record(ReloadOutcome outcome, ReloadReport report) {
        lastReload = report;
        counters().get(outcome).increment();
    }

    /**
     * Writes an API-supplied model to lineside.model.path (temporary file, fsync, atomic rename), so a
     * restart serves it too. The watcher then sees a file whose sha256 is the model in service and does
     * nothing. Without lineside.model.path (embedded default) there is nowhere to write: null.
     */
    private Boolean writeModelFile(byte[] onnx) {
        Optional<Path> configured = config.model().path();
        if (configured.isEmpty()) {
            return null;
        }
        Path file = configured.get().toAbsolutePath();
        try {
            Path tmp = Files.createTempFile(file.getParent(), "." + file.getFileName() + ".", ".tmp");
            try {
                Files.write(tmp, onnx);
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.warnf("could not write the new model to lineside.model.path %s (%s); it serves until the next restart",
                    file, e.toString());
            return false;
        }
    }

    private synchronized Map<ReloadOutcome, Counter> counters() {
        if (counters.isEmpty()) {
            for (ReloadOutcome outcome : ReloadOutcome.values()) {
                counters.put(outcome, Counter.builder("lineside.model.reload")
                        .description("Attempts to change the model in service, by outcome")
                        .tag("outcome", outcome.label())
                        .register(registry));
            }
        }
        return counters;
    }
}
