package io.lineside.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.lineside.scoring.ModelGeometry;
import io.lineside.scoring.OnnxScorer;
import io.lineside.scoring.ScoringSlot;

import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Turns ONNX bytes into a {@link LoadedModel}: opens the session, checks graph and metadata against
 * the contract (training/CONTRACT.md), builds the buffer sets and runs a warm-up inference on each.
 * Any failure is a {@link ModelValidationException} whose message names the problem; nothing leaks.
 */
public final class ModelLoader {
    public static final String INPUT_NAME = "image";
    public static final String OUTPUT_NAME = "reconstruction";

    private final OrtEnvironment environment;
    private final int threads;
    private final int concurrency;

    /**
     * @param threads     ONNX Runtime intra-op threads
     * @param concurrency buffer sets, i.e. inferences in flight at once
     */
    public ModelLoader(OrtEnvironment environment, int threads, int concurrency) {
        if (threads < 1 || concurrency < 1) {
            throw new IllegalArgumentException("threads and concurrency must be at least 1");
        }
        this.environment = environment;
        this.threads = threads;
        this.concurrency = concurrency;
    }

    public LoadedModel load(byte[] onnx, String origin, OptionalDouble thresholdOverride)
            throws ModelValidationException {
        if (onnx.length == 0) {
            throw new ModelValidationException("model " + origin + " is empty (0 bytes)");
        }
        OrtSession session = openSession(onnx, origin);
        OnnxScorer scorer = null;
        try {
            ModelGeometry graph = checkGraph(session);
            ModelMetadata metadata = ModelMetadata.parse(session.getMetadata().getCustomMetadata());
            if (!metadata.geometry().equals(graph)) {
                throw new ModelValidationException("metadata says input " + describe(metadata.geometry())
                        + " but the graph's input is " + describe(graph));
            }
            scorer = new OnnxScorer(environment, session, INPUT_NAME, OUTPUT_NAME, graph, metadata.score(),
                    metadata.sigma(), concurrency);
            warmUp(scorer);
            ModelBundle bundle = new ModelBundle(onnx, ModelBundle.sha256(onnx), metadata, origin);
            LoadedModel.Threshold threshold = thresholdOverride.isPresent()
                    ? new LoadedModel.Threshold(thresholdOverride.getAsDouble(), ThresholdSource.CONFIG)
                    : new LoadedModel.Threshold(metadata.threshold(), ThresholdSource.MODEL);
            return new LoadedModel(bundle, scorer, threshold, Instant.now());
        } catch (ModelValidationException | RuntimeException e) {
            closeQuietly(scorer, session);
            throw e;
        } catch (OrtException e) {
            closeQuietly(scorer, session);
            throw new ModelValidationException("ONNX Runtime refused the model: " + e.getMessage(), e);
        }
    }

    private OrtSession openSession(byte[] onnx, String origin) throws ModelValidationException {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            // ORT's pool threads spin after each run by default, burning the cores that decode, preprocess
            // and score the next images need (bench/README.md: on 2 cores it cost more CPU than it saved).
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            return environment.createSession(onnx, options);
        } catch (OrtException e) {
            throw new ModelValidationException("model " + origin + " is not a loadable ONNX model: " + e.getMessage(), e);
        }
    }

    /** One float32 input "image" [1,C,H,W], static, C = 1 or 3; one output "reconstruction" of the same shape. */
    static ModelGeometry checkGraph(OrtSession session) throws OrtException, ModelValidationException {
        Map<String, NodeInfo> inputs = session.getInputInfo();
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        if (inputs.size() != 1) {
            throw new ModelValidationException("the model has " + inputs.size() + " inputs " + inputs.keySet()
                    + "; the contract wants exactly one, named '" + INPUT_NAME + "'");
        }
        if (outputs.size() != 1) {
            throw new ModelValidationException("the model has " + outputs.size() + " outputs " + outputs.keySet()
                    + "; the contract wants exactly one, named '" + OUTPUT_NAME + "'");
        }
        NodeInfo input = inputs.values().iterator().next();
        NodeInfo output = outputs.values().iterator().next();
        if (!input.getName().equals(INPUT_NAME)) {
            throw new ModelValidationException("the model's input is named '" + input.getName()
                    + "'; the contract wants '" + INPUT_NAME + "'");
        }
        if (!output.getName().equals(OUTPUT_NAME)) {
            throw new ModelValidationException("the model's output is named '" + output.getName()
                    + "'; the contract wants '" + OUTPUT_NAME + "'");
        }
        long[] inShape = tensorShape("input", input);
        long[] outShape = tensorShape("output", output);
        if (!Arrays.equals(inShape, outShape)) {
            throw new ModelValidationException("the output '" + OUTPUT_NAME + "' has shape " + Arrays.toString(outShape)
                    + " but the input has " + Arrays.toString(inShape) + "; they must be equal");
        }
        if (inShape[1] != 1 && inShape[1] != 3) {
            throw new ModelValidationException("the input has " + inShape[1] + " channels " + Arrays.toString(inShape)
                    + "; the contract allows 1 or 3");
        }
        if (inShape[2] > ModelMetadata.MAX_SIDE || inShape[3] > ModelMetadata.MAX_SIDE) {
            throw new ModelValidationException("the input " + Arrays.toString(inShape) + " is larger than "
                    + ModelMetadata.MAX_SIDE + " pixels on a side");
        }
        return new ModelGeometry((int) inShape[1], (int) inShape[2], (int) inShape[3]);
    }

    private static long[] tensorShape(String role, NodeInfo node) throws ModelValidationException {
        if (!(node.getInfo() instanceof TensorInfo tensor)) {
            throw new ModelValidationException("the " + role + " '" + node.getName() + "' is not a tensor: " + node.getInfo());
        }
        if (tensor.type != OnnxJavaType.FLOAT) {
            throw new ModelValidationException("the " + role + " '" + node.getName() + "' has element type "
                    + tensor.onnxType + "; the contract wants float32");
        }
        long[] shape = tensor.getShape();
        if (shape.length != 4) {
            throw new ModelValidationException("the " + role + " '" + node.getName() + "' has shape "
                    + Arrays.toString(shape) + "; the contract wants 4 dimensions [1, C, H, W]");
        }
        for (long d : shape) {
            if (d < 1) {
                throw new ModelValidationException("the " + role + " '" + node.getName() + "' has a dynamic or empty dimension "
                        + Arrays.toString(shape) + "; the contract wants a static shape [1, C, H, W]");
            }
        }
        if (shape[0] != 1) {
            throw new ModelValidationException("the " + role + " '" + node.getName() + "' has batch size " + shape[0]
                    + " " + Arrays.toString(shape) + "; the contract wants 1");
        }
        return shape;
    }

    /** Runs every buffer set once on a mid-grey image: proves the pinned tensors and warms ORT's arenas. */
    private static void warmUp(OnnxScorer scorer) throws OrtException, ModelValidationException {
        ScoringSlot[] taken = new ScoringSlot[scorer.poolSize()];
        try {
            for (int i = 0; i < taken.length; i++) {
                taken[i] = scorer.acquire();
                taken[i].fill(0.5f);
                taken[i].infer();
                int elements = scorer.geometry().elements();
                for (int e = 0; e < elements; e++) {
                    if (!Float.isFinite(taken[i].outputAt(e))) {
                        throw new ModelValidationException("warm-up inference produced a non-finite reconstruction value at index " + e);
                    }
                }
                double score = taken[i].score();
                if (!Double.isFinite(score)) {
                    throw new ModelValidationException("warm-up inference produced a non-finite score");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelValidationException("interrupted during warm-up", e);
        } finally {
            for (ScoringSlot slot : taken) {
                if (slot != null) {
                    slot.close();
                }
            }
        }
    }

    private static String describe(ModelGeometry g) {
        return "[1, " + g.channels() + ", " + g.height() + ", " + g.width() + "] (C=" + g.channels()
                + ", H=" + g.height() + ", W=" + g.width() + ")";
    }

    private static void closeQuietly(OnnxScorer scorer, OrtSession session) {
        try {
            if (scorer != null) {
                scorer.close();
            } else {
                session.close();
            }
        } catch (OrtException | RuntimeException ignored) {
            // already failing with a better message
        }
    }
}
