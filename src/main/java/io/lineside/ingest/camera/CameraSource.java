package io.lineside.ingest.camera;

import io.lineside.config.LinesideConfig;
import io.lineside.inspection.InspectionPipeline;
import io.lineside.inspection.Outcome;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;
import org.jboss.logging.Logger;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The camera source: when {@code lineside.camera.url} is set, polls it on its own thread
 * ({@code lineside-camera}), so a hanging or failing camera never holds the folder source, the
 * API or the pipeline's other callers; and grabs a frame on demand for the trigger endpoint.
 */
@ApplicationScoped
public class CameraSource {

    private static final Logger LOG = Logger.getLogger(CameraSource.class);

    @Inject
    LinesideConfig config;

    @Inject
    InspectionPipeline pipeline;

    @Inject
    MeterRegistry registry;

    private volatile CameraPoller poller;
    private SnapshotFetcher fetcher;
    private ScheduledExecutorService scheduler;
    private volatile boolean stopping;

    /** Runs after the default start-up observers, so the model is in service before the first frame. */
    void onStart(@Observes @Priority(Interceptor.Priority.APPLICATION + 1000) StartupEvent event) {
        Optional<URI> url = config.camera().url();
        if (url.isEmpty()) {
            LOG.debug("Camera source disabled (lineside.camera.url is not set)");
            return;
        }
        LinesideConfig.Camera camera = config.camera();
        if (camera.interval().isNegative()) {
            throw new IllegalArgumentException("lineside.camera.interval must be 0 (trigger only) or positive, got " + camera.interval());
        }
        CameraTarget target = CameraTarget.of(url.get(), camera.username(), camera.password());
        fetcher = new SnapshotFetcher(target, camera.timeout(), camera.maxBytes().asLongValue());
        poller = new CameraPoller(fetcher, camera.name(), camera.interval(), camera.maxBackoff(), camera.skipUnchanged(),
                pipeline::inspect, new CameraMetrics(registry, camera.name()));
        if (!poller.polling()) {
            LOG.infof("Camera %s at %s: trigger only (lineside.camera.interval=0)", camera.name(), target);
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "lineside-camera");
            thread.setDaemon(true);
            return thread;
        });
        LOG.infof("Camera %s at %s: polling every %d ms (timeout %d ms, skip unchanged %s)", camera.name(), target,
                camera.interval().toMillis(), camera.timeout().toMillis(), camera.skipUnchanged());
        schedule(Duration.ZERO);
    }

    private void poll() {
        Duration next = Duration.ofSeconds(1);
        try {
            next = poller.pollOnce();
        } catch (Throwable t) {
            // pollOnce never throws by contract; this keeps the loop alive if it ever does.
            LOG.error("Camera poll failed unexpectedly; polling goes on", t);
        } finally {
            schedule(next);
        }
    }

    private void schedule(Duration delay) {
        if (stopping) {
            return;
        }
        try {
            scheduler.schedule(this::poll, delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // Shutting down.
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        stopping = true;
        if (scheduler != null) {
            // No new polls; the one in flight ends by itself within the timeout (plus its inspection).
            // Not interrupted: an interrupt could tear the journal write of its verdict.
            scheduler.shutdown();
            try {
                Duration grace = config.camera().timeout().plusSeconds(5);
                if (!scheduler.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.warnf("Camera thread still busy %d ms after shutdown began", grace.toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (fetcher != null) {
            fetcher.close();
        }
    }

    /** Whether {@code lineside.camera.url} is set. */
    public boolean configured() {
        return poller != null;
    }

    /** The camera's state, or empty when no camera is configured. */
    public Optional<CameraStatus> status() {
        CameraPoller p = poller;
        return p == null ? Optional.empty() : Optional.of(p.status());
    }

    /**
     * Grabs one frame now and inspects it.
     *
     * @throws CameraNotConfiguredException when {@code lineside.camera.url} is not set
     * @throws CameraFetchException         when the camera gave no frame
     */
    public Outcome trigger() {
        CameraPoller p = poller;
        if (p == null) {
            throw new CameraNotConfiguredException();
        }
        return p.trigger();
    }
}
