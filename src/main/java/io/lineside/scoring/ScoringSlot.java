package io.lineside.scoring;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import io.lineside.inspection.RejectReason;

import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One buffer set: the direct input buffer and the input tensor over it, a pinned output tensor over a
 * direct buffer for every graph output, and every scratch array preprocessing and scoring need, all
 * created once. An inference in flight holds exactly one slot; {@link #close()} gives it back to its
 * {@link OnnxScorer}.
 * <p>
 * Format 1 ({@link GraphOutputs}): the graph outputs the reconstruction and the score is computed here.
 * Format 2: the graph outputs {@code score} and {@code anomaly_map}; {@link #score()} reads the pinned
 * score and the map shown to people is the pinned anomaly map, so scoring costs nothing here.
 * <p>
 * Use: {@code try (ScoringSlot slot = scorer.acquire()) { slot.preprocess(image); slot.infer(); slot.score(); }}
 */
public final class ScoringSlot implements AutoCloseable {
    private final OnnxScorer owner;
    private final OrtSession session;
    private final ModelGeometry geometry;
    private final GraphOutputs outputs;
    private final FloatBuffer input;
    /** The reconstruction; null for a format-2 model without one. */
    private final FloatBuffer output;
    /** Format 2: the pinned score (one value) and anomaly map; null in format 1. */
    private final FloatBuffer scoreOutput;
    private final FloatBuffer mapOutput;
    private final OnnxTensor inputTensor;
    /** Every pinned output tensor, closed with the slot. */
    private final List<OnnxTensor> outputTensors = new ArrayList<>(3);
    private final Map<String, OnnxTensor> inputs;
    private final Map<String, OnnxTensor> pinnedOutputs;
    private final Preprocessor preprocessor;
    /** Format 1's scoring scratch (null in format 2, where the graph scores): */
    private final float[] kernel;
    /** One plane of input and of reconstruction, copied out of the direct buffers for scoring. */
    private final float[] inputPlane;
    private final float[] outputPlane;
    private final float[] residualMean;
    private final float[] residualPadded;
    private final float[] residualRows;
    private final float[] residualMap;
    /** Whether {@link #residualMap} belongs to the current inference. */
    private boolean residualMapReady;
    /** The ssim score's window (float64), map d and scratch; the last two allocated on first use. */
    private final double[] ssimKernel;
    private Scores.SsimScratch ssimScratch;
    private double[] ssimMap;
    private boolean ssimMapReady;
    private boolean inferred;
    /** When the current holder acquired the slot ({@link System#nanoTime()}); 0 while free. */
    volatile long acquiredAtNanos;

    ScoringSlot(OnnxScorer owner, OrtEnvironment environment, OrtSession session, String inputName,
                String reconstructionName, ModelGeometry geometry, GraphOutputs outputs, double sigma)
            throws OrtException {
        this.owner = owner;
        this.session = session;
        this.geometry = geometry;
        this.outputs = outputs;
        int elements = geometry.elements();
        this.input = directFloats(elements);
        this.output = outputs.reconstruction() ? directFloats(elements) : null;
        this.scoreOutput = outputs.graphScores() ? directFloats(1) : null;
        this.mapOutput = outputs.graphScores() ? directFloats(outputs.mapSize()) : null;
        Map<String, OnnxTensor> pinned = new HashMap<>();
        OnnxTensor in = OnnxTensor.createTensor(environment, input, geometry.shape());
        try {
            if (output != null) {
                pinned.put(reconstructionName, pin(OnnxTensor.createTensor(environment, output, geometry.shape())));
            }
            if (outputs.graphScores()) {
                pinned.put(GraphOutputs.SCORE, pin(OnnxTensor.createTensor(environment, scoreOutput, outputs.scoreShape())));
                pinned.put(GraphOutputs.ANOMALY_MAP, pin(OnnxTensor.createTensor(environment, mapOutput, outputs.mapShape())));
            }
        } catch (OrtException | RuntimeException e) {
            in.close();
            outputTensors.forEach(OnnxTensor::close);
            throw e;
        }
        this.inputTensor = in;
        this.inputs = Map.of(inputName, inputTensor);
        this.pinnedOutputs = Map.copyOf(pinned);
        this.preprocessor = new Preprocessor(geometry);
        if (outputs.graphScores()) {
            // The graph scores: none of format 1's planes (4 x H x W floats per slot) are needed.
            this.ssimKernel = null;
            this.kernel = null;
            this.inputPlane = null;
            this.outputPlane = null;
            this.residualMean = null;
            this.residualPadded = null;
            this.residualRows = null;
            this.residualMap = null;
            return;
        }
        this.ssimKernel = Scores.gaussianKernel(sigma);
        this.kernel = Scores.toFloats(ssimKernel);
        int plane = geometry.planeSize();
        this.inputPlane = new float[plane];
        this.outputPlane = new float[plane];
        this.residualMean = new float[plane];
        this.residualPadded = new float[geometry.width() + kernel.length - 1];
        this.residualRows = new float[plane];
        this.residualMap = new float[plane];
    }

    private OnnxTensor pin(OnnxTensor tensor) {
        outputTensors.add(tensor);
        return tensor;
    }

    private static FloatBuffer directFloats(int elements) {
        return ByteBuffer.allocateDirect(Math.multiplyExact(elements, Float.BYTES))
                .order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    public ModelGeometry geometry() {
        return geometry;
    }

    public GraphOutputs outputs() {
        return outputs;
    }

    /** Width of the map {@link #copyResidualMap} copies. */
    public int mapWidth() {
        return outputs.mapWidth();
    }

    /** Height of the map {@link #copyResidualMap} copies. */
    public int mapHeight() {
        return outputs.mapHeight();
    }

    /**
     * Decoded image -> region of interest (when one is set) -> channels -> area resize -> the input
     * buffer (CONTRACT.md).
     *
     * @throws ImageRejectedException {@code roi-outside-image} when the image does not contain the whole region
     */
    public void preprocess(BufferedImage image) throws ImageRejectedException {
        Roi roi = owner.roi().orElse(null);
        if (roi != null) {
            if (!roi.fitsIn(image.getWidth(), image.getHeight())) {
                throw new ImageRejectedException(RejectReason.ROI_OUTSIDE_IMAGE, "the image is " + image.getWidth()
                        + "x" + image.getHeight() + " pixels and does not contain the whole region of interest "
                        + roi + " (x,y,w,h, from " + owner.roiOrigin() + ")");
            }
            image = roi.crop(image);
        }
        preprocessor.preprocess(image, input);
        inferred = false;
        residualMapReady = false;
        ssimMapReady = false;
    }

    /** Fills the input with one value (warm-up). */
    public void fill(float value) {
        for (int i = 0; i < geometry.elements(); i++) {
            input.put(i, value);
        }
        inferred = false;
        residualMapReady = false;
        ssimMapReady = false;
    }

    /** Runs the model on the input buffer; every output lands in its pinned output buffer. */
    public void infer() throws OrtException {
        // The pinned output is not owned by the Result: closing it frees only ORT's small wrapper.
        try (OrtSession.Result ignored = session.run(inputs, pinnedOutputs)) {
            inferred = true;
            residualMapReady = false;
            ssimMapReady = false;
        }
    }

    /** The model's score: the graph's {@code score} (format 2), or the model's own score function (format 1). */
    public double score() {
        if (outputs.graphScores()) {
            requireInferred();
            return scoreOutput.get(0);
        }
        return score(owner.scoreFunction());
    }

    /** Any format-1 score function over the current input and reconstruction (golden tests compare them all). */
    public double score(ScoreFunction function) {
        requireInferred();
        if (outputs.graphScores()) {
            throw new IllegalStateException("a format-2 model scores in its graph; the appliance computes no "
                    + function.metadataName() + " for it");
        }
        int n = geometry.elements();
        return switch (function) {
            case STD -> Scores.std(input, output, n, inputPlane, outputPlane);
            case MSE -> Scores.mse(input, output, n, inputPlane, outputPlane);
            case MAX_BLUR -> {
                computeResidualMap();
                yield Scores.max(residualMap, geometry.planeSize());
            }
            case SSIM -> {
                computeSsimMap();
                // The sort scratch is free again once the map is computed.
                yield Scores.nearestRankQuantile(ssimMap, geometry.planeSize(), Scores.SSIM_QUANTILE, ssimScratch.product);
            }
        };
    }

    /**
     * Copies the map shown to people ({@link #mapWidth()} x {@link #mapHeight()} values, row-major) into
     * {@code target}: for format 2 the graph's {@code anomaly_map}; for format 1 (CONTRACT.md: H*W values
     * at model resolution) the SSIM dissimilarity d for a model scored by {@code ssim}, otherwise g.
     * Costs nothing unless called; reuses the map the score already computed.
     */
    public void copyResidualMap(float[] target) {
        requireInferred();
        int plane = outputs.mapSize();
        if (target.length < plane) {
            throw new IllegalArgumentException("the map needs " + plane + " floats, got " + target.length);
        }
        if (outputs.graphScores()) {
            mapOutput.get(0, target, 0, plane);
            return;
        }
        if (owner.scoreFunction() == ScoreFunction.SSIM) {
            computeSsimMap();
            for (int i = 0; i < plane; i++) {
                target[i] = (float) ssimMap[i];
            }
        } else {
            computeResidualMap();
            System.arraycopy(residualMap, 0, target, 0, plane);
        }
    }

    /** Element {@code i} of the preprocessed input (NCHW); for tests and diagnostics. */
    public float inputAt(int i) {
        return input.get(i);
    }

    /** Element {@code i} of the reconstruction (NCHW); for tests and diagnostics. */
    public float outputAt(int i) {
        requireInferred();
        if (output == null) {
            throw new IllegalStateException("this model outputs no reconstruction");
        }
        return output.get(i);
    }

    /**
     * Copies the reconstruction ({@code C*H*W} values, NCHW, as the model output it) into {@code target};
     * for a model that outputs one (every format-1 model, a format-2 model that declares it).
     */
    public void copyReconstruction(float[] target) {
        requireInferred();
        if (output == null) {
            throw new IllegalStateException("this model outputs no reconstruction");
        }
        int n = geometry.elements();
        if (target.length < n) {
            throw new IllegalArgumentException("the reconstruction needs " + n + " floats, got " + target.length);
        }
        output.get(0, target, 0, n);
    }

    /** Element {@code i} of a format-2 model's anomaly map; for tests and diagnostics. */
    public float mapAt(int i) {
        requireInferred();
        if (!outputs.graphScores()) {
            throw new IllegalStateException("a format-1 model has no anomaly_map output; see copyResidualMap");
        }
        return mapOutput.get(i);
    }

    private void computeResidualMap() {
        if (!residualMapReady) {
            Scores.residualMap(input, output, geometry, kernel, inputPlane, outputPlane, residualMean, residualPadded,
                    residualRows, residualMap);
            residualMapReady = true;
        }
    }

    private void computeSsimMap() {
        if (!ssimMapReady) {
            if (ssimScratch == null) {
                ssimScratch = new Scores.SsimScratch(geometry.planeSize());
                ssimMap = new double[geometry.planeSize()];
            }
            Scores.ssimMap(input, output, geometry, ssimKernel, inputPlane, outputPlane, ssimScratch, ssimMap);
            ssimMapReady = true;
        }
    }

    private void requireInferred() {
        if (!inferred) {
            throw new IllegalStateException("no inference has run on the current input");
        }
    }

    /** Gives the slot back to its scorer. */
    @Override
    public void close() {
        owner.release(this);
    }

    void dispose() {
        inputTensor.close();
        outputTensors.forEach(OnnxTensor::close);
    }
}
