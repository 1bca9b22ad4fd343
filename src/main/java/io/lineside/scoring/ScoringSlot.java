package io.lineside.scoring;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Map;

/**
 * One buffer set: the direct input buffer and the input tensor over it, the pinned output tensor,
 * and every scratch array preprocessing and scoring need, all created once. An inference in flight
 * holds exactly one slot; {@link #close()} gives it back to its {@link OnnxScorer}.
 * <p>
 * Use: {@code try (ScoringSlot slot = scorer.acquire()) { slot.preprocess(image); slot.infer(); slot.score(); }}
 */
public final class ScoringSlot implements AutoCloseable {
    private final OnnxScorer owner;
    private final OrtSession session;
    private final ModelGeometry geometry;
    private final FloatBuffer input;
    private final FloatBuffer output;
    private final OnnxTensor inputTensor;
    private final OnnxTensor outputTensor;
    private final Map<String, OnnxTensor> inputs;
    private final Map<String, OnnxTensor> pinnedOutputs;
    private final Preprocessor preprocessor;
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
                String outputName, ModelGeometry geometry, double sigma) throws OrtException {
        this.owner = owner;
        this.session = session;
        this.geometry = geometry;
        int elements = geometry.elements();
        this.input = directFloats(elements);
        this.output = directFloats(elements);
        OnnxTensor in = OnnxTensor.createTensor(environment, input, geometry.shape());
        try {
            this.outputTensor = OnnxTensor.createTensor(environment, output, geometry.shape());
        } catch (OrtException | RuntimeException e) {
            in.close();
            throw e;
        }
        this.inputTensor = in;
        this.inputs = Map.of(inputName, inputTensor);
        this.pinnedOutputs = Map.of(outputName, outputTensor);
        this.preprocessor = new Preprocessor(geometry);
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

    private static FloatBuffer directFloats(int elements) {
        return ByteBuffer.allocateDirect(Math.multiplyExact(elements, Float.BYTES))
                .order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    public ModelGeometry geometry() {
        return geometry;
    }

    /** Decoded image -> channels -> area resize -> the input buffer (CONTRACT.md). */
    public void preprocess(BufferedImage image) {
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

    /** Runs the model on the input buffer; the reconstruction lands in the pinned output buffer. */
    public void infer() throws OrtException {
        // The pinned output is not owned by the Result: closing it frees only ORT's small wrapper.
        try (OrtSession.Result ignored = session.run(inputs, pinnedOutputs)) {
            inferred = true;
            residualMapReady = false;
            ssimMapReady = false;
        }
    }

    /** The model's own score function. */
    public double score() {
        return score(owner.scoreFunction());
    }

    /** Any score function over the current input and reconstruction (golden tests compare them all). */
    public double score(ScoreFunction function) {
        requireInferred();
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
     * Copies the residual map shown to people (CONTRACT.md; H*W values, row-major, at model resolution)
     * into {@code target}: the SSIM dissimilarity d for a model scored by {@code ssim}, otherwise g.
     * Costs nothing unless called; reuses the map the score already computed.
     */
    public void copyResidualMap(float[] target) {
        requireInferred();
        int plane = geometry.planeSize();
        if (target.length < plane) {
            throw new IllegalArgumentException("residual map needs " + plane + " floats, got " + target.length);
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
        return output.get(i);
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
        outputTensor.close();
    }
}
