package io.lineside.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.lineside.scoring.GraphOutputs;
import io.lineside.scoring.ModelGeometry;
import io.lineside.scoring.OnnxScorer;
import io.lineside.scoring.Roi;
import io.lineside.scoring.ScoringSlot;

import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Turns ONNX bytes into a {@link LoadedModel}: opens the session, checks graph and metadata against
 * the contract (training/CONTRACT.md), builds the buffer sets and runs a warm-up inference on each.
 * Any failure is a {@link ModelValidationException} whose message names the problem; nothing leaks.
 */
public final class ModelLoader {
    public static final String INPUT_NAME = "image";
    /** Format 1's one output (format 2 names its outputs in {@link GraphOutputs}). */
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
        return load(onnx, origin, thresholdOverride, Optional.empty());
    }

    /**
     * @param roiOverride the appliance's {@code lineside.roi}: replaces the model's {@code lineside.input.roi}
     */
    public LoadedModel load(byte[] onnx, String origin, OptionalDouble thresholdOverride, Optional<Roi> roiOverride)
            throws ModelValidationException {
        if (onnx.length == 0) {
            throw new ModelValidationException("model " + origin + " is empty (0 bytes)");
        }
        OrtSession session = openSession(onnx, origin);
        OnnxScorer scorer = null;
        try {
            ModelMetadata metadata = ModelMetadata.parse(session.getMetadata().getCustomMetadata());
            Graph graph = checkGraph(session, metadata.format());
            if (!metadata.geometry().equals(graph.input())) {
                throw new ModelValidationException("metadata says input " + describe(metadata.geometry())
                        + " but the graph's input is " + describe(graph.input()));
            }
            Roi roi = roiOverride.or(metadata::roi).orElse(null);
            String roiOrigin = roiOverride.isPresent() ? "lineside.roi" : "the model's lineside.input.roi";
            scorer = new OnnxScorer(environment, session, INPUT_NAME, OUTPUT_NAME, graph.input(), graph.outputs(),
                    metadata.score(), metadata.sigma(), roi, roiOrigin, concurrency);
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

    /** The graph's input and outputs as checked. */
    record Graph(ModelGeometry input, GraphOutputs outputs) {
    }

    /**
     * One float32 input "image" [N,C,H,W], N = 1 or dynamic, C = 1 or 3, C/H/W static. Format 1: one output
     * "reconstruction" of the input's shape. Format 2: outputs by name, "score" [N] or [N, 1], "anomaly_map"
     * [N, 1, h, w] with h <= H and w <= W, optionally "reconstruction", nothing else.
     */
    static Graph checkGraph(OrtSession session, int format) throws OrtException, ModelValidationException {
        Map<String, NodeInfo> inputs = session.getInputInfo();
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        if (inputs.size() != 1) {
            throw new ModelValidationException("the model has " + inputs.size() + " inputs " + inputs.keySet()
                    + "; the contract wants exactly one, named '" + INPUT_NAME + "'");
        }
        NodeInfo input = inputs.values().iterator().next();
        if (!input.getName().equals(INPUT_NAME)) {
            throw new ModelValidationException("the model's input is named '" + input.getName()
                    + "'; the contract wants '" + INPUT_NAME + "'");
        }
        long[] inShape = imageShape("input", input);
        if (inShape[1] != 1 && inShape[1] != 3) {
            throw new ModelValidationException("the input has " + inShape[1] + " channels " + shapeText(inShape)
                    + "; the contract allows 1 or 3");
        }
        if (inShape[2] > ModelMetadata.MAX_SIDE || inShape[3] > ModelMetadata.MAX_SIDE) {
            throw new ModelValidationException("the input " + shapeText(inShape) + " is larger than "
                    + ModelMetadata.MAX_SIDE + " pixels on a side");
        }
        ModelGeometry geometry = new ModelGeometry((int) inShape[1], (int) inShape[2], (int) inShape[3]);
        if (format == ModelMetadata.FORMAT) {
            if (outputs.size() != 1) {
                throw new ModelValidationException("the model has " + outputs.size() + " outputs " + outputs.keySet()
                        + "; the contract wants exactly one, named '" + OUTPUT_NAME + "'");
            }
            NodeInfo output = outputs.values().iterator().next();
            if (!output.getName().equals(OUTPUT_NAME)) {
                throw new ModelValidationException("the model's output is named '" + output.getName()
                        + "'; the contract wants '" + OUTPUT_NAME + "'");
            }
            checkReconstruction(output, inShape);
            return new Graph(geometry, GraphOutputs.format1(geometry));
        }
        for (String name : outputs.keySet()) {
            if (!name.equals(GraphOutputs.SCORE) && !name.equals(GraphOutputs.ANOMALY_MAP)
                    && !name.equals(GraphOutputs.RECONSTRUCTION)) {
                throw new ModelValidationException("the model has an output '" + name + "' that format 2 does not define"
                        + " (outputs " + outputs.keySet() + "); format 2 allows '" + GraphOutputs.SCORE + "', '"
                        + GraphOutputs.ANOMALY_MAP + "' and, optionally, '" + GraphOutputs.RECONSTRUCTION + "'");
            }
        }
        NodeInfo score = outputs.get(GraphOutputs.SCORE);
        if (score == null) {
            throw new ModelValidationException("the model has no output named '" + GraphOutputs.SCORE + "' (outputs "
                    + outputs.keySet() + "); format 2 wants 'score' [N] or [N, 1], one anomaly score per image");
        }
        NodeInfo map = outputs.get(GraphOutputs.ANOMALY_MAP);
        if (map == null) {
            throw new ModelValidationException("the model has no output named '" + GraphOutputs.ANOMALY_MAP
                    + "' (outputs " + outputs.keySet() + "); format 2 wants 'anomaly_map' [N, 1, h, w]");
        }
        long[] scoreShape = floatShape("output", score);
        boolean scoreShapeOk = (scoreShape.length == 1 || (scoreShape.length == 2 && scoreShape[1] == 1))
                && isBatch(scoreShape[0]);
        if (!scoreShapeOk) {
            throw new ModelValidationException("the output '" + GraphOutputs.SCORE + "' has shape " + shapeText(scoreShape)
                    + " (rank " + scoreShape.length + "); format 2 wants [N] or [N, 1], one score per image");
        }
        long[] mapShape = imageShape("output", map);
        if (mapShape[1] != 1) {
            throw new ModelValidationException("the output '" + GraphOutputs.ANOMALY_MAP + "' has " + mapShape[1]
                    + " channels " + shapeText(mapShape) + "; format 2 wants one: [N, 1, h, w]");
        }
        if (mapShape[2] > inShape[2] || mapShape[3] > inShape[3]) {
            throw new ModelValidationException("the output '" + GraphOutputs.ANOMALY_MAP + "' " + shapeText(mapShape)
                    + " is larger than the input " + shapeText(inShape) + "; format 2 wants h <= H and w <= W");
        }
        NodeInfo reconstruction = outputs.get(GraphOutputs.RECONSTRUCTION);
        if (reconstruction != null) {
            checkReconstruction(reconstruction, inShape);
        }
        return new Graph(geometry, GraphOutputs.format2(scoreShape.length, (int) mapShape[2], (int) mapShape[3],
                reconstruction != null));
    }

    private static void checkReconstruction(NodeInfo output, long[] inShape) throws ModelValidationException {
        long[] outShape = imageShape("output", output);
        if (!Arrays.equals(Arrays.copyOfRange(outShape, 1, 4), Arrays.copyOfRange(inShape, 1, 4))) {
            throw new ModelValidationException("the output '" + output.getName() + "' has shape " + shapeText(outShape)
                    + " but the input has " + shapeText(inShape) + "; they must be equal");
        }
    }

    /** A batch dimension: 1, or dynamic (symbolic, reported as -1); the appliance runs batches of 1. */
    private static boolean isBatch(long d) {
        return d == 1 || d == -1;
    }

    /** Shapes as the contract writes them: a dynamic dimension as N. */
    private static String shapeText(long[] shape) {
        StringBuilder text = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            text.append(i == 0 ? "" : ", ").append(shape[i] < 0 ? "N" : String.valueOf(shape[i]));
        }
        return text.append(']').toString();
    }

    private static long[] floatShape(String role, NodeInfo node) throws ModelValidationException {
        if (!(node.getInfo() instanceof TensorInfo tensor)) {
            throw new ModelValidationException("the " + role + " '" + node.getName() + "' is not a tensor: " + node.getInfo());
        }
        if (tensor.type != OnnxJavaType.FLOAT) {
            throw new ModelValidationException("the " + role + " '" + node.getName() + "' has element type "
                    + tensor.onnxType + "; the contract wants float32");
        }
        return tensor.getShape();
    }

    /** A float32 [N, C, H, W] tensor: N = 1 or dynamic, the rest static. */
    private static long[] imageShape(String role, NodeInfo node) throws ModelValidationException {
        long[] shape = floatShape(role, node);
        if (shape.length != 4) {
            throw new ModelValidationException("the " + role + " '" + node.getName() + "' has shape "
                    + Arrays.toString(shape) + "; the contract wants 4 dimensions [N, C, H, W]");
        }
        for (int i = 1; i < 4; i++) {
            if (shape[i] < 1) {
                throw new ModelValidationException("the " + role + " '" + node.getName() + "' has a dynamic or empty dimension "
                        + shapeText(shape) + "; the contract wants a static shape [N, C, H, W] (only N may be dynamic)");
            }
        }
        if (!isBatch(shape[0])) {
            throw new ModelValidationException("the " + role + " '" + node.getName() + "' has batch size " + shape[0]
                    + " " + shapeText(shape) + "; the contract wants 1 or a dynamic N");
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
                checkWarmUp(scorer, taken[i]);
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

    private static void checkWarmUp(OnnxScorer scorer, ScoringSlot slot) throws ModelValidationException {
        GraphOutputs outputs = scorer.outputs();
        if (outputs.graphScores()) {
            // Format 2: the graph's own outputs, score first (it decides every verdict).
            double score = slot.score();
            if (!Double.isFinite(score)) {
                throw new ModelValidationException("warm-up inference on a mid-grey image produced a non-finite score ("
                        + score + "); the output '" + GraphOutputs.SCORE + "' must be a finite number");
            }
            int size = outputs.mapSize();
            for (int e = 0; e < size; e++) {
                float v = slot.mapAt(e);
                if (!Float.isFinite(v)) {
                    throw new ModelValidationException("warm-up inference on a mid-grey image produced a non-finite value ("
                            + v + ") in '" + GraphOutputs.ANOMALY_MAP + "' at row " + e / outputs.mapWidth() + ", column "
                            + e % outputs.mapWidth());
                }
            }
        }
        if (outputs.reconstruction()) {
            int elements = scorer.geometry().elements();
            for (int e = 0; e < elements; e++) {
                if (!Float.isFinite(slot.outputAt(e))) {
                    throw new ModelValidationException("warm-up inference produced a non-finite reconstruction value at index " + e);
                }
            }
        }
        if (!outputs.graphScores()) {
            double score = slot.score();
            if (!Double.isFinite(score)) {
                throw new ModelValidationException("warm-up inference produced a non-finite score");
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
