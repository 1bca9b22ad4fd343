package io.lineside.model;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes small ONNX models for tests, directly in protobuf wire format (no Python, no binary fixtures):
 * by default a contract-valid model whose reconstruction is {@code scale * image + offset}, so the
 * residual is known in closed form. Every part can be bent to build the bad models the loader must refuse.
 * <p>
 * {@link #format2} builds format-2 graphs (training/CONTRACT.md): {@code anomaly_map} = the channel mean
 * of {@code |image - reference|}, average-pooled by {@link #mapPool} (a quarter of the input by default),
 * {@code score} = its maximum. A bright blob drawn into an image of the reference grey is therefore hot
 * exactly where it was drawn, and the score is the pooled blob's contrast.
 */
public final class OnnxModelBuilder {
    public static final int FLOAT = 1;
    public static final int DOUBLE = 11;

    private String inputName = "image";
    private String outputName = "reconstruction";
    private int elementType = FLOAT;
    private Object[] inputShape;
    private Object[] outputShape;
    private boolean secondOutput;
    private boolean identity;
    private boolean halve;
    private float scale = 0.9f;
    private float offset = 0.02f;
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private boolean format2;
    private int mapPool = 4;
    private float reference = 0.1f;
    private boolean scoreOutput = true;
    private boolean mapOutput = true;
    private boolean reconstructionOutput;
    private boolean scoreKeepsChannel;
    private boolean scoreWrongRank;
    private boolean nanScore;
    private boolean nanMap;
    private boolean mapLargerThanInput;

    private OnnxModelBuilder(int channels, int height, int width) {
        inputShape = new Object[] {1L, (long) channels, (long) height, (long) width};
        outputShape = inputShape.clone();
        metadata.put("lineside.format", "1");
        metadata.put("lineside.input.width", String.valueOf(width));
        metadata.put("lineside.input.height", String.valueOf(height));
        metadata.put("lineside.input.channels", String.valueOf(channels));
        metadata.put("lineside.input.resize", "area");
        metadata.put("lineside.score", "std");
        metadata.put("lineside.threshold", "0.05");
        metadata.put("lineside.calibration.alpha", "0.01");
        metadata.put("lineside.calibration.n", "200");
        metadata.put("lineside.calibration.median", "0.02");
        metadata.put("lineside.model.name", "test-model");
        metadata.put("lineside.model.version", "1");
    }

    /** A valid model [1,C,H,W] reconstructing {@code 0.9 x + 0.02}. */
    public static OnnxModelBuilder valid(int channels, int height, int width) {
        return new OnnxModelBuilder(channels, height, width);
    }

    /**
     * A valid format-2 model [1,C,H,W] (H and W multiples of 4): anomaly_map [1,1,H/4,W/4] = mean over
     * channels of |image - 0.1|, 4x4 average-pooled; score [1] = max of the map; threshold 0.3.
     */
    public static OnnxModelBuilder format2(int channels, int height, int width) {
        OnnxModelBuilder b = new OnnxModelBuilder(channels, height, width);
        b.format2 = true;
        b.metadata.put("lineside.format", "2");
        b.metadata.put("lineside.score", "max-pool");
        b.metadata.put("lineside.threshold", "0.3");
        return b;
    }

    /** Format 2: the pooling of the map (1 = map at the input's size). */
    public OnnxModelBuilder mapPool(int pool) {
        mapPool = pool;
        return this;
    }

    /** Format 2: the grey (0..1) a good part has; the map is the departure from it. */
    public OnnxModelBuilder reference(float grey) {
        reference = grey;
        return this;
    }

    /** Format 2: a dynamic batch dimension N on input and outputs. */
    public OnnxModelBuilder dynamicBatch() {
        inputShape = inputShape.clone();
        inputShape[0] = "N";
        return this;
    }

    /** Format 2: score shaped [N, 1] instead of [N]. */
    public OnnxModelBuilder scoreShapedNBy1() {
        scoreKeepsChannel = true;
        return this;
    }

    /** Format 2: also output {@code reconstruction} (here: the input itself). */
    public OnnxModelBuilder withReconstruction() {
        reconstructionOutput = true;
        return this;
    }

    /** Format 2, bad: no {@code score} output. */
    public OnnxModelBuilder withoutScore() {
        scoreOutput = false;
        return this;
    }

    /** Format 2, bad: no {@code anomaly_map} output. */
    public OnnxModelBuilder withoutMap() {
        mapOutput = false;
        return this;
    }

    /** Format 2, bad: score shaped [N, 1, 1, 1]. */
    public OnnxModelBuilder scoreOfWrongRank() {
        scoreWrongRank = true;
        return this;
    }

    /** Format 2, bad: score = max(log(-map)), NaN on any image that is not exactly the reference grey. */
    public OnnxModelBuilder nanScore() {
        nanScore = true;
        return this;
    }

    /** Format 2, bad: anomaly_map = log(-map) (NaN), score finite. */
    public OnnxModelBuilder nanMap() {
        nanMap = true;
        return this;
    }

    /** Format 2, bad: anomaly_map [N, 1, H, 2W], twice as wide as the input. */
    public OnnxModelBuilder mapLargerThanInput() {
        mapLargerThanInput = true;
        return this;
    }

    public OnnxModelBuilder affine(float scale, float offset) {
        this.scale = scale;
        this.offset = offset;
        return this;
    }

    public OnnxModelBuilder with(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    public OnnxModelBuilder without(String key) {
        metadata.remove(key);
        return this;
    }

    public OnnxModelBuilder inputName(String name) {
        inputName = name;
        return this;
    }

    public OnnxModelBuilder outputName(String name) {
        outputName = name;
        return this;
    }

    /** Element type of input and output (the graph becomes an Identity). */
    public OnnxModelBuilder elementType(int type) {
        elementType = type;
        identity = true;
        return this;
    }

    /** Input and output shape; dims are Long (static) or String (symbolic, i.e. dynamic). */
    public OnnxModelBuilder shape(Object... dims) {
        inputShape = dims;
        outputShape = dims;
        identity = true;
        return this;
    }

    /** Output at half the input's resolution (2x2 average pool): output shape differs from input. */
    public OnnxModelBuilder halvedOutput() {
        halve = true;
        outputShape = new Object[] {inputShape[0], inputShape[1], (Long) inputShape[2] / 2, (Long) inputShape[3] / 2};
        return this;
    }

    /** A second graph output. */
    public OnnxModelBuilder secondOutput() {
        secondOutput = true;
        return this;
    }

    public byte[] build() {
        if (format2) {
            return buildFormat2();
        }
        Proto graph = new Proto();
        if (halve) {
            graph.message(1, node("AveragePool", List.of(inputName), outputName,
                    List.of(intsAttribute("kernel_shape", 2, 2), intsAttribute("strides", 2, 2))));
        } else if (identity) {
            graph.message(1, node("Identity", List.of(inputName), outputName, List.of()));
        } else {
            graph.message(1, node("Mul", List.of(inputName, "scale"), "scaled", List.of()));
            graph.message(1, node("Add", List.of("scaled", "offset"), outputName, List.of()));
            graph.message(5, scalar("scale", scale));
            graph.message(5, scalar("offset", offset));
        }
        if (secondOutput) {
            graph.message(1, node("Identity", List.of(inputName), "extra", List.of()));
        }
        graph.string(2, "test-graph");
        graph.message(11, valueInfo(inputName, elementType, inputShape));
        graph.message(12, valueInfo(outputName, elementType, outputShape));
        if (secondOutput) {
            graph.message(12, valueInfo("extra", elementType, inputShape));
        }
        return model(graph);
    }

    private byte[] buildFormat2() {
        Object batch = inputShape[0];
        long height = (Long) inputShape[2];
        long width = (Long) inputShape[3];
        long mapHeight = height / mapPool;
        long mapWidth = width / mapPool;
        Proto graph = new Proto();
        graph.message(1, node("Sub", List.of(inputName, "reference"), "difference", List.of()));
        graph.message(1, node("Abs", List.of("difference"), "absolute", List.of()));
        graph.message(1, node("ReduceMean", List.of("absolute"), "gray",
                List.of(intsAttribute("axes", 1), intAttribute("keepdims", 1))));
        graph.message(1, node("AveragePool", List.of("gray"), "pooled",
                List.of(intsAttribute("kernel_shape", mapPool, mapPool), intsAttribute("strides", mapPool, mapPool))));
        Object[] mapShape = {batch, 1L, mapHeight, mapWidth};
        if (nanMap) {
            graph.message(1, node("Neg", List.of("pooled"), "negated", List.of()));
            graph.message(1, node("Log", List.of("negated"), "anomaly_map", List.of()));
        } else if (mapLargerThanInput) {
            graph.message(1, node("Concat", List.of("gray", "gray"), "anomaly_map", List.of(intAttribute("axis", 3))));
            mapShape = new Object[] {batch, 1L, height, 2 * width};
        } else {
            graph.message(1, node("Identity", List.of("pooled"), "anomaly_map", List.of()));
        }
        String scored = "pooled";
        if (nanScore) {
            graph.message(1, node("Neg", List.of("pooled"), "negatedForScore", List.of()));
            graph.message(1, node("Log", List.of("negatedForScore"), "logOfNegative", List.of()));
            scored = "logOfNegative";
        }
        Object[] scoreShape;
        if (scoreWrongRank) {
            graph.message(1, node("ReduceMax", List.of(scored), "score",
                    List.of(intsAttribute("axes", 1, 2, 3), intAttribute("keepdims", 1))));
            scoreShape = new Object[] {batch, 1L, 1L, 1L};
        } else if (scoreKeepsChannel) {
            graph.message(1, node("ReduceMax", List.of(scored), "score",
                    List.of(intsAttribute("axes", 2, 3), intAttribute("keepdims", 0))));
            scoreShape = new Object[] {batch, 1L};
        } else {
            graph.message(1, node("ReduceMax", List.of(scored), "score",
                    List.of(intsAttribute("axes", 1, 2, 3), intAttribute("keepdims", 0))));
            scoreShape = new Object[] {batch};
        }
        if (reconstructionOutput) {
            graph.message(1, node("Identity", List.of(inputName), "reconstruction", List.of()));
        }
        if (secondOutput) {
            graph.message(1, node("Identity", List.of(inputName), "extra", List.of()));
        }
        graph.string(2, "test-graph-format-2");
        graph.message(5, scalar("reference", reference));
        graph.message(11, valueInfo(inputName, FLOAT, inputShape));
        if (scoreOutput) {
            graph.message(12, valueInfo("score", FLOAT, scoreShape));
        }
        if (mapOutput) {
            graph.message(12, valueInfo("anomaly_map", FLOAT, mapShape));
        }
        if (reconstructionOutput) {
            graph.message(12, valueInfo("reconstruction", FLOAT, inputShape));
        }
        if (secondOutput) {
            graph.message(12, valueInfo("extra", FLOAT, inputShape));
        }
        return model(graph);
    }

    private byte[] model(Proto graph) {
        Proto model = new Proto();
        model.varint(1, 8);
        model.string(2, "lineside-tests");
        model.message(7, graph);
        model.message(8, new Proto().string(1, "").varint(2, 17));
        metadata.forEach((k, v) -> model.message(14, new Proto().string(1, k).string(2, v)));
        return model.bytes();
    }

    private static Proto intAttribute(String name, long value) {
        return new Proto().string(1, name).varint(3, value).varint(20, 2); // AttributeType INT
    }

    private static Proto node(String op, List<String> inputs, String output, List<Proto> attributes) {
        Proto node = new Proto();
        inputs.forEach(i -> node.string(1, i));
        node.string(2, output);
        node.string(3, op + "_" + output);
        node.string(4, op);
        attributes.forEach(a -> node.message(5, a));
        return node;
    }

    private static Proto intsAttribute(String name, long... values) {
        Proto attribute = new Proto().string(1, name);
        for (long v : values) {
            attribute.varint(8, v);
        }
        return attribute.varint(20, 7); // AttributeType INTS
    }

    private static Proto scalar(String name, float value) {
        byte[] data = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(value).array();
        return new Proto().varint(2, FLOAT).string(8, name).bytes(9, data);
    }

    private static Proto valueInfo(String name, int elementType, Object[] dims) {
        Proto shape = new Proto();
        for (Object d : dims) {
            shape.message(1, d instanceof Long l ? new Proto().varint(1, l) : new Proto().string(2, (String) d));
        }
        Proto tensor = new Proto().varint(1, elementType).message(2, shape);
        return new Proto().string(1, name).message(2, new Proto().message(1, tensor));
    }

    /** Just enough of the protobuf wire format: varints and length-delimited fields. */
    private static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long value) {
            writeVarint((long) field << 3);
            writeVarint(value);
            return this;
        }

        Proto bytes(int field, byte[] value) {
            writeVarint(((long) field << 3) | 2);
            writeVarint(value.length);
            out.writeBytes(value);
            return this;
        }

        Proto string(int field, String value) {
            return bytes(field, value.getBytes(StandardCharsets.UTF_8));
        }

        Proto message(int field, Proto value) {
            return bytes(field, value.bytes());
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        private void writeVarint(long value) {
            while ((value & ~0x7fL) != 0) {
                out.write((int) ((value & 0x7f) | 0x80));
                value >>>= 7;
            }
            out.write((int) value);
        }
    }

}
