package io.lineside.model.lifecycle;

import io.lineside.config.LinesideConfig;
import io.lineside.model.ActiveModel;
import io.lineside.model.LoadedModel;
import io.lineside.model.ModelBundle;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Watches {@code lineside.model.path} by polling every {@code lineside.model.watch-interval} (polling
 * works on every file system, network mounts and Kubernetes volumes included, where change
 * notifications do not).
 *
 * <p>A change of size, modification time or file identity (inode: replace-by-rename) marks the file
 * as changing; it is read only once it has looked the same for one whole interval, so a file being
 * written in place is not read half-written (write it elsewhere and rename it over the old one to
 * make the swap instantaneous). Its sha256 then decides: the model already in service, or a
 * candidate already refused, is not loaded again. A vanished file is reported once and the model in
 * service keeps serving.
 */
@ApplicationScoped
public class ModelFileWatcher {

    private static final Logger LOG = Logger.getLogger(ModelFileWatcher.class);

    @Inject
    LinesideConfig config;

    @Inject
    ModelLifecycle lifecycle;

    @Inject
    ActiveModel activeModel;

    private ScheduledExecutorService executor;
    private Path file;

    /** What the file looks like; equal snapshots mean "unchanged". */
    record Snapshot(long size, FileTime modified, Object identity) {
    }

    /** The state of the file the current model (or the last refused candidate) was read from. */
    private Snapshot settled;
    /** A changed state seen at the previous poll, waiting to be seen again unchanged. */
    private Snapshot changing;
    /** sha256 of the last content handed to the lifecycle, so a refused file is not retried until it changes. */
    private String lastHandled;
    private boolean reportedMissing;

    /** After the model is loaded at start-up (observers of default priority, APPLICATION + 500). */
    void onStart(@Observes @Priority(jakarta.interceptor.Interceptor.Priority.APPLICATION + 900) StartupEvent event) {
        if (config.model().path().isEmpty()) {
            LOG.debug("lineside.model.path is not set (embedded default model): no model file to watch");
            return;
        }
        start(config.model().path().get());
        long millis = Math.max(100, config.model().watchInterval().toMillis());
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lineside-model-watch");
            t.setDaemon(true);
            return t;
        });
        executor.scheduleWithFixedDelay(this::pollSafely, millis, millis, TimeUnit.MILLISECONDS);
        LOG.infof("watching %s for a new model every %d ms", file, millis);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (executor != null) {
            executor.shutdownNow();
        }
    }

    /** Begins watching {@code path}, taking its present state as the one the model in service came from. */
    synchronized void start(Path path) {
        file = path.toAbsolutePath();
        settled = snapshot();
        changing = null;
        lastHandled = activeModel.current().map(LoadedModel::bundle).map(ModelBundle::sha256).orElse(null);
    }

    private void pollSafely() {
        try {
            poll();
        } catch (RuntimeException | Error e) {
            // The watcher must outlive any surprise; the next poll tries again.
            LOG.errorf(e, "model file watch of %s failed; retrying at the next poll", file);
        }
    }

    /** One look at the file; loads it when it has changed and then stayed unchanged for one interval. */
    synchronized void poll() {
        Snapshot now = snapshot();
        if (now == null) {
            if (!reportedMissing) {
                LOG.warnf("model file %s is missing; the model in service keeps serving", file);
                reportedMissing = true;
            }
            changing = null;
            return;
        }
        reportedMissing = false;
        if (now.equals(settled)) {
            changing = null;
            return;
        }
        if (!now.equals(changing)) {
            changing = now; // still being written, or just replaced: look again next time
            return;
        }
        byte[] onnx;
        try {
            onnx = Files.readAllBytes(file);
        } catch (IOException e) {
            changing = null;
            settled = now;
            lifecycle.recordUnreadable(file, e.toString());
            return;
        }
        if (!now.equals(snapshot())) {
            changing = null; // changed while being read: wait until it settles again
            return;
        }
        settled = now;
        changing = null;
        String sha = ModelBundle.sha256(onnx);
        if (sha.equals(lastHandled)) {
            LOG.debugf("model file %s was touched but its content (sha256=%s) is unchanged", file, sha);
            return;
        }
        lastHandled = sha;
        try {
            lifecycle.replaceFromFile(onnx, file);
        } catch (ModelRefused refused) {
            // Counted, logged and recorded by the lifecycle; the model in service keeps serving.
        }
    }

    private Snapshot snapshot() {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            if (!a.isRegularFile()) {
                return null;
            }
            return new Snapshot(a.size(), a.lastModifiedTime(), Objects.requireNonNullElse(a.fileKey(), "none"));
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            LOG.debugf("cannot stat %s: %s", file, e);
            return null;
        }
    }
}
