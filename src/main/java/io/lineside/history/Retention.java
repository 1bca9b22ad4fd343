package io.lineside.history;

import io.lineside.config.LinesideConfig;
import io.lineside.inspection.InspectedImage;
import io.lineside.inspection.Inspection;
import io.lineside.inspection.Outcome;
import io.lineside.inspection.Verdict;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps images (and residual maps) of recent inspections for the heatmap and image endpoints,
 * within {@code lineside.retention.*}. The inspecting thread only hands the bytes to a background
 * writer; until written they are served from memory (the page asks for a thumbnail as soon as the
 * live event arrives). Defects get their residual map right away; good parts when first asked for.
 * When the writer falls behind by more than a bounded backlog, images are not kept (counted in
 * {@code lineside_history_images_dropped_total}) rather than slowing the line.
 */
@ApplicationScoped
public class Retention {
    private static final Logger LOG = Logger.getLogger(Retention.class);
    private static final int BACKLOG = 64;
    private static final long BACKLOG_BYTES = 64L << 20;
    private static final int RENDERED_CACHE = 32;

    /** Why there is no heatmap to show. */
    public static final class Unavailable extends Exception {
        public final String error;

        public Unavailable(String error, String detail) {
            super(detail);
            this.error = error;
        }
    }

    /** An image handed over by the inspecting thread; a defect's residual map comes with it. */
    private record Pending(Inspection inspection, byte[] bytes, ResidualMap map, HeatScale scale) {
    }

    @Inject
    LinesideConfig config;

    @Inject
    ResidualComputer residuals;

    @Inject
    MeterRegistry registry;

    private ImageStore store;
    private ThreadPoolExecutor writer;
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong pendingBytes = new AtomicLong();
    private final HeatmapRenderer renderer = new HeatmapRenderer();
    private final Map<String, byte[]> rendered = new LinkedHashMap<>(RENDERED_CACHE * 2, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, byte[]> eldest) {
            return size() > RENDERED_CACHE;
        }
    };
    private Counter dropped;

    @PostConstruct
    void start() {
        LinesideConfig.Retention r = config.retention();
        store = new ImageStore(r.path(), r.images(), r.maxDisk().asLongValue());
        writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(BACKLOG),
                runnable -> {
                    Thread t = new Thread(runnable, "lineside-image-retention");
                    t.setDaemon(true);
                    t.setPriority(Thread.NORM_PRIORITY - 1);
                    return t;
                });
        dropped = Counter.builder("lineside.history.images.dropped")
                .description("Inspection images not kept because the image writer fell behind")
                .register(registry);
        registry.gauge("lineside.history.images.kept", store, ImageStore::size);
        registry.gauge("lineside.history.images.bytes", store, ImageStore::totalBytes);
        LOG.infof("keeping images of up to %d recent inspections, %d bytes, in %s (%d kept now)",
                r.images(), r.maxDisk().asLongValue(), r.path().toAbsolutePath(), store.size());
    }

    @PreDestroy
    void stop() throws InterruptedException {
        writer.shutdown();
        writer.awaitTermination(5, TimeUnit.SECONDS);
    }

    /** Whether this outcome's image is (about to be) kept: what the live event tells the page. */
    public boolean willKeep(Outcome outcome) {
        return outcome instanceof Inspection && (pending.containsKey(outcome.id()) || store.contains(outcome.id()));
    }

    /** Whether the image of this inspection can be fetched now. */
    public boolean isKept(String id) {
        return pending.containsKey(id) || store.contains(id);
    }

    /** Runs on the inspecting thread: hand over and return. */
    void onInspected(@Observes InspectedImage event) {
        Inspection inspection = event.inspection();
        byte[] bytes = event.input().bytes();
        if (config.retention().images() <= 0 || !ImageStore.isStorableId(inspection.id())) {
            return;
        }
        if (pendingBytes.addAndGet(bytes.length) > BACKLOG_BYTES) {
            pendingBytes.addAndGet(-bytes.length);
            dropped.increment();
            return;
        }
        ResidualMap map = null;
        HeatScale scale = null;
        if (event.residualMap() != null) {
            var plane = event.residualMap();
            map = new ResidualMap(plane.width(), plane.height(), plane.values(), plane.region());
            scale = HeatScale.forMap(map, plane.scoreFunction(), inspection.threshold(), plane.scaleMax());
        }
        pending.put(inspection.id(), new Pending(inspection, bytes, map, scale));
        try {
            writer.execute(() -> write(inspection.id()));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            forget(inspection.id());
            dropped.increment();
        }
    }

    private void write(String id) {
        Pending p = pending.get(id);
        if (p == null) {
            return;
        }
        try {
            Inspection i = p.inspection();
            ResidualMap map = p.map();
            HeatScale scale = p.scale();
            if (map == null && i.verdict() == Verdict.DEFECT) {
                // A defect that came without its map: compute it now, while its model is surely still in service.
                ResidualComputer.Result computed = residuals.compute(p.bytes(), modelSha(i), i.threshold()).orElse(null);
                if (computed != null) {
                    map = computed.map();
                    scale = computed.scale();
                }
            }
            store.put(id, Instant.now(), i.verdict(), modelSha(i), i.threshold(), p.bytes(), map, scale);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warnf("could not keep the image of inspection %s: %s", id, e.getMessage());
        } finally {
            forget(id);
        }
    }

    private void forget(String id) {
        Pending p = pending.remove(id);
        if (p != null) {
            pendingBytes.addAndGet(-p.bytes().length);
        }
    }

    private static String modelSha(Inspection i) {
        return i.model() == null ? null : i.model().sha256();
    }

    /** The input as received, while kept. */
    public Optional<byte[]> image(String id) {
        Pending p = pending.get(id);
        if (p != null) {
            return Optional.of(p.bytes());
        }
        return store.image(id);
    }

    /** The heatmap PNG, rendered once and cached for the few most recently viewed. */
    public byte[] heatmapPng(String id) throws Unavailable {
        synchronized (rendered) {
            byte[] png = rendered.get(id);
            if (png != null) {
                return png;
            }
        }
        byte[] png = renderHeatmap(id);
        synchronized (rendered) {
            rendered.put(id, png);
        }
        return png;
    }

    private byte[] renderHeatmap(String id) throws Unavailable {
        byte[] image;
        ResidualMap map = null;
        HeatScale scale = null;
        String modelSha;
        double threshold;
        Pending p = pending.get(id);
        if (p != null) {
            image = p.bytes();
            modelSha = modelSha(p.inspection());
            threshold = p.inspection().threshold();
            map = p.map();
            scale = p.scale();
        } else {
            ImageStore.Kept kept = store.kept(id).orElseThrow(() -> notKept(id));
            image = store.image(id).orElseThrow(() -> notKept(id));
            modelSha = kept.entry().modelSha256();
            threshold = kept.entry().threshold();
            map = kept.map();
            scale = kept.scale();
        }
        if (map == null) {
            try {
                ResidualComputer.Result computed = residuals.compute(image, modelSha, threshold)
                        .orElseThrow(() -> new Unavailable("heatmap-unavailable", "inspection " + id
                                + " was scored by model " + modelSha + ", which is no longer in service; its image is still"
                                + " available at /api/v1/inspections/" + id + "/image"));
                map = computed.map();
                scale = computed.scale();
                if (p == null) {
                    store.attach(id, map, scale);
                }
            } catch (Unavailable e) {
                throw e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Unavailable("heatmap-unavailable", "interrupted");
            } catch (Exception e) {
                throw new Unavailable("heatmap-unavailable", "the residual map of " + id + " cannot be computed: "
                        + e.getMessage());
            }
        }
        return renderer.renderPng(image, map, scale);
    }

    /** The model's reconstruction of a kept image (see {@link ResidualComputer#reconstructionPng}). */
    public byte[] reconstructionPng(String id) throws Unavailable {
        byte[] image;
        String modelSha;
        Pending p = pending.get(id);
        if (p != null) {
            image = p.bytes();
            modelSha = modelSha(p.inspection());
        } else {
            ImageStore.Kept kept = store.kept(id).orElseThrow(() -> notKept(id));
            image = store.image(id).orElseThrow(() -> notKept(id));
            modelSha = kept.entry().modelSha256();
        }
        try {
            return residuals.reconstructionPng(image, modelSha);
        } catch (Unavailable e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("reconstruction-unavailable", "interrupted");
        } catch (Exception e) {
            throw new Unavailable("reconstruction-unavailable", "the reconstruction of " + id + " cannot be computed: "
                    + e.getMessage());
        }
    }

    private static Unavailable notKept(String id) {
        return new Unavailable("not-kept", "the image of inspection " + id + " is no longer kept (beyond"
                + " lineside.retention.images / lineside.retention.max-disk, or never kept); its record remains in the journal");
    }

    ImageStore store() {
        return store;
    }
}
