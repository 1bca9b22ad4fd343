package io.lineside.model;

import ai.onnxruntime.OrtException;
import io.lineside.inspection.ResidualPlane;
import io.lineside.scoring.OnnxScorer;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.OptionalDouble;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A validated, warmed-up model ready to score: its bundle, its scorer (session and buffer sets) and
 * the threshold in force. Reference-counted so that a model swapped out while inspections are in
 * flight is closed only after the last of them has finished on it.
 */
public final class LoadedModel {
    private static final Logger LOG = Logger.getLogger(LoadedModel.class);

    private final ModelBundle bundle;
    private final OnnxScorer scorer;
    private final Instant loadedAt;
    /** 1 for the owner (until retired) plus one per inspection in flight. */
    private final AtomicInteger references = new AtomicInteger(1);
    private volatile Threshold threshold;

    /** The decision threshold in force and where it came from. */
    public record Threshold(double value, ThresholdSource source) {
    }

    LoadedModel(ModelBundle bundle, OnnxScorer scorer, Threshold threshold, Instant loadedAt) {
        this.bundle = bundle;
        this.scorer = scorer;
        this.threshold = threshold;
        this.loadedAt = loadedAt;
    }

    public ModelBundle bundle() {
        return bundle;
    }

    public OnnxScorer scorer() {
        return scorer;
    }

    public Instant loadedAt() {
        return loadedAt;
    }

    public Threshold threshold() {
        return threshold;
    }

    /**
     * The map value drawn at full colour in heatmaps, fixed per model so every image of it is drawn on the
     * same scale: for format 2, {@code lineside.map.max}, else twice the model's own {@code lineside.threshold}
     * (not the threshold in force: recalibration must not repaint the history); empty for format 1, whose
     * scale follows its score function and each map, as always, and when a format-2 model has neither.
     */
    public OptionalDouble mapScaleMax() {
        ModelMetadata m = bundle.metadata();
        if (m.format() != ModelMetadata.FORMAT_2) {
            return OptionalDouble.empty();
        }
        if (m.mapMax().isPresent()) {
            return m.mapMax();
        }
        return m.threshold() > 0 ? OptionalDouble.of(2 * m.threshold()) : OptionalDouble.empty();
    }

    /** A map this model produced, described for the heatmap (its scale, the region it covers). */
    public ResidualPlane residualPlane(int width, int height, float[] values) {
        return new ResidualPlane(width, height, values,
                scorer.scoreFunction() == null ? null : scorer.scoreFunction().metadataName(),
                scorer.roi().orElse(null), mapScaleMax().orElse(Double.NaN));
    }

    /** Changes the threshold without reloading (recalibration, configuration). */
    public void setThreshold(double value, ThresholdSource source) {
        if (!Double.isFinite(value) || value < 0) {
            throw new IllegalArgumentException("threshold must be a finite, non-negative number, not " + value);
        }
        threshold = new Threshold(value, source);
    }

    /** Takes a reference for one inspection; false when the model has already been retired and closed. */
    boolean tryAcquire() {
        while (true) {
            int n = references.get();
            if (n <= 0) {
                return false;
            }
            if (references.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Ends one inspection's use of the model. */
    public void release() {
        if (references.decrementAndGet() == 0) {
            close();
        }
    }

    /** Drops the owner's reference: the model closes once the inspections in flight are done. */
    void retire() {
        release();
    }

    /** Closes a model that was never activated (e.g. refused after loading). */
    void discard() {
        if (references.compareAndSet(1, 0)) {
            close();
        }
    }

    private void close() {
        try {
            scorer.close();
            LOG.debugf("closed model %s (%s)", bundle.identity(), bundle.origin());
        } catch (OrtException e) {
            LOG.warnf(e, "closing model %s failed", bundle.identity());
        }
    }
}
