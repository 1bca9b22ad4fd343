package io.lineside.scoring;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * One shared ONNX Runtime session and a small pool of {@link ScoringSlot}s, one per inference in
 * flight. Callers beyond the pool size wait for a slot, which bounds memory whatever the load.
 * Owns the session: {@link #close()} closes slots and session, and must only be called once no
 * slot is in use (the model's reference count guarantees that).
 */
public final class OnnxScorer implements AutoCloseable {
    private final OrtSession session;
    private final ModelGeometry geometry;
    private final GraphOutputs outputs;
    private final ScoreFunction scoreFunction;
    private final double sigma;
    private final Roi roi;
    private final String roiOrigin;
    private final List<ScoringSlot> slots;
    private final BlockingQueue<ScoringSlot> free;

    /** A format-1 scorer without a region of interest. */
    public OnnxScorer(OrtEnvironment environment, OrtSession session, String inputName, String outputName,
                      ModelGeometry geometry, ScoreFunction scoreFunction, double sigma, int poolSize)
            throws OrtException {
        this(environment, session, inputName, outputName, geometry, GraphOutputs.format1(geometry), scoreFunction,
                sigma, null, null, poolSize);
    }

    /**
     * @param outputs       the graph's outputs (format 1 or 2)
     * @param scoreFunction format 1's score function; null in format 2 (the graph scores)
     * @param roi           the region of interest images are cropped to before the resize; null for none
     * @param roiOrigin     where the region came from (named in rejections), e.g. {@code lineside.roi}
     */
    public OnnxScorer(OrtEnvironment environment, OrtSession session, String inputName, String reconstructionName,
                      ModelGeometry geometry, GraphOutputs outputs, ScoreFunction scoreFunction, double sigma,
                      Roi roi, String roiOrigin, int poolSize) throws OrtException {
        if (poolSize < 1) {
            throw new IllegalArgumentException("pool size must be at least 1, not " + poolSize);
        }
        if (!outputs.graphScores() && scoreFunction == null) {
            throw new IllegalArgumentException("a format-1 model needs a score function");
        }
        this.session = session;
        this.geometry = geometry;
        this.outputs = outputs;
        this.scoreFunction = scoreFunction;
        this.sigma = sigma;
        this.roi = roi;
        this.roiOrigin = roiOrigin;
        this.slots = new ArrayList<>(poolSize);
        this.free = new ArrayBlockingQueue<>(poolSize);
        try {
            for (int i = 0; i < poolSize; i++) {
                ScoringSlot slot = new ScoringSlot(this, environment, session, inputName, reconstructionName, geometry,
                        outputs, sigma);
                slots.add(slot);
                free.add(slot);
            }
        } catch (OrtException | RuntimeException e) {
            slots.forEach(ScoringSlot::dispose);
            throw e;
        }
    }

    /** Waits for a free buffer set; close the slot to give it back. */
    public ScoringSlot acquire() throws InterruptedException {
        ScoringSlot slot = free.take();
        slot.acquiredAtNanos = System.nanoTime();
        return slot;
    }

    void release(ScoringSlot slot) {
        slot.acquiredAtNanos = 0;
        free.offer(slot);
    }

    /** How long the longest-held slot has been in use, in nanoseconds; 0 when none is. A stuck inference shows here. */
    public long longestInFlightNanos() {
        long now = System.nanoTime();
        long longest = 0;
        for (ScoringSlot slot : slots) {
            long since = slot.acquiredAtNanos;
            if (since != 0) {
                longest = Math.max(longest, now - since);
            }
        }
        return longest;
    }

    public ModelGeometry geometry() {
        return geometry;
    }

    public GraphOutputs outputs() {
        return outputs;
    }

    /** Format 1's score function; null for a format-2 model, whose graph scores. */
    public ScoreFunction scoreFunction() {
        return scoreFunction;
    }

    /** The region of interest images are cropped to before the resize, if any. */
    public Optional<Roi> roi() {
        return Optional.ofNullable(roi);
    }

    /** Where the region of interest came from: {@code lineside.roi} or the model's {@code lineside.input.roi}. */
    public String roiOrigin() {
        return roiOrigin;
    }

    public double sigma() {
        return sigma;
    }

    public int poolSize() {
        return slots.size();
    }

    /** Slots currently free; {@code poolSize() - available()} inferences are in flight. */
    public int available() {
        return free.size();
    }

    @Override
    public void close() throws OrtException {
        slots.forEach(ScoringSlot::dispose);
        session.close();
    }
}
