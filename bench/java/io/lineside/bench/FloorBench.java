package io.lineside.bench;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The ONNX Runtime floor of any model (format 1 or 2): {@code OrtSession.run} alone, in the Java ORT the
 * appliance uses, on one prepared input (a real image preprocessed by the Python loop, read from a raw
 * little-endian float32 file), with the appliance's session options and {@code --threads} intra-op threads.
 * Depends on ORT only, so it measures any model whatever the appliance's scoring classes look like.
 * <p>
 * Commands on stdin, one JSON answer per line on stdout: {@code floor N} (three forms: outputs pinned to
 * preallocated tensors, ORT's ordinary allocate-the-outputs call, and a session with ORT's default spinning
 * pool threads; the floor is the fastest), {@code batch N B} (N images as runs of B images each, for a
 * model with a dynamic batch dimension: ms per run, ms per image, and this process's CPU per image),
 * {@code quit}.
 * Arguments: {@code --model PATH --input RAW.f32 [--threads N]}.
 */
public final class FloorBench {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final OrtSession spinning;
    private final String inputName;
    private final long[] shape;
    private final float[] input;
    private final OnnxTensor tensor;
    private final Map<String, OnnxTensor> pinnedOutputs = new HashMap<>();

    private FloorBench(byte[] onnx, float[] input, int threads) throws OrtException {
        this.session = session(onnx, threads, false);
        this.spinning = session(onnx, threads, true);
        this.inputName = session.getInputNames().iterator().next();
        long[] declared = ((TensorInfo) session.getInputInfo().get(inputName).getInfo()).getShape();
        this.shape = declared.clone();
        shape[0] = 1; // a dynamic batch dimension reads -1
        this.input = input;
        long elements = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        if (elements != input.length) {
            throw new IllegalArgumentException("input file has " + input.length + " floats, the model wants "
                    + Arrays.toString(shape));
        }
        this.tensor = OnnxTensor.createTensor(env, direct(input), shape);
        for (Map.Entry<String, NodeInfo> e : session.getOutputInfo().entrySet()) {
            long[] s = ((TensorInfo) e.getValue().getInfo()).getShape().clone();
            for (int i = 0; i < s.length; i++) {
                s[i] = s[i] < 0 ? 1 : s[i];
            }
            int n = (int) Arrays.stream(s).reduce(1, (a, b) -> a * b);
            pinnedOutputs.put(e.getKey(), OnnxTensor.createTensor(env, direct(new float[n]), s));
        }
    }

    /** The appliance's session options (ModelLoader): sequential, all optimisations, no spinning. */
    private OrtSession session(byte[] onnx, int threads, boolean spin) throws OrtException {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (!spin) {
                options.addConfigEntry("session.intra_op.allow_spinning", "0");
            }
            return env.createSession(onnx, options);
        }
    }

    private static FloatBuffer direct(float[] values) {
        FloatBuffer b = ByteBuffer.allocateDirect(values.length * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        b.put(values).rewind();
        return b;
    }

    public static void main(String[] args) throws Exception {
        String model = null;
        Path inputFile = null;
        int threads = Runtime.getRuntime().availableProcessors();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> model = args[++i];
                case "--input" -> inputFile = Path.of(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (model == null || inputFile == null) {
            System.err.println("usage: FloorBench --model PATH --input RAW.f32 [--threads N]");
            System.exit(2);
        }
        byte[] raw = Files.readAllBytes(inputFile);
        float[] input = new float[raw.length / Float.BYTES];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(input);
        FloorBench bench = new FloorBench(Files.readAllBytes(Path.of(model)), input, threads);
        System.out.println("{\"ready\":true,\"threads\":" + threads + ",\"shape\":\"" + Arrays.toString(bench.shape)
                + "\",\"outputs\":\"" + bench.pinnedOutputs.keySet() + "\"}");
        System.out.flush();
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = commands.readLine()) != null) {
            String[] w = line.trim().split("\\s+");
            if (w[0].isEmpty()) {
                continue;
            }
            if (w[0].equals("quit")) {
                break;
            }
            String answer = switch (w[0]) {
                case "floor" -> bench.floor(Integer.parseInt(w[1]));
                case "batch" -> bench.batch(Integer.parseInt(w[1]), Integer.parseInt(w[2]));
                default -> "{\"error\":\"unknown command " + w[0] + "\"}";
            };
            System.out.println(answer);
            System.out.flush();
        }
    }

    private String floor(int n) throws OrtException {
        Map<String, OnnxTensor> inputs = Map.of(inputName, tensor);
        long[] pinned = new long[n];
        long[] plain = new long[n];
        long[] spin = new long[n];
        for (int i = 0; i < n; i++) { // the two non-spinning forms alternate, so both see the same machine
            long t0 = System.nanoTime();
            try (OrtSession.Result ignored = session.run(inputs, pinnedOutputs)) {
                pinned[i] = System.nanoTime() - t0;
            }
            long t1 = System.nanoTime();
            try (OrtSession.Result ignored = session.run(inputs)) {
                plain[i] = System.nanoTime() - t1;
            }
        }
        for (int i = 0; i < n; i++) { // spinning threads in a block of their own: they would slow any run beside them
            long t0 = System.nanoTime();
            try (OrtSession.Result ignored = spinning.run(inputs, pinnedOutputs)) {
                spin[i] = System.nanoTime() - t0;
            }
        }
        sleep(100); // let the spinners park
        return "{\"n\":" + n + ",\"pinned\":" + stats(pinned) + ",\"plain\":" + stats(plain) + ",\"spinning\":"
                + stats(spin) + "}";
    }

    private String batch(int n, int b) throws OrtException {
        long[] batchShape = shape.clone();
        batchShape[0] = b;
        float[] values = new float[input.length * b];
        for (int i = 0; i < b; i++) {
            System.arraycopy(input, 0, values, i * input.length, input.length);
        }
        int runs = Math.max(1, n / b);
        long[] ns = new long[runs];
        double cpu0 = processCpuSeconds();
        long t0 = System.nanoTime();
        try (OnnxTensor t = OnnxTensor.createTensor(env, direct(values), batchShape)) {
            Map<String, OnnxTensor> inputs = Map.of(inputName, t);
            for (int r = 0; r < runs; r++) {
                long a = System.nanoTime();
                try (OrtSession.Result ignored = session.run(inputs)) {
                    ns[r] = System.nanoTime() - a;
                }
            }
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        double cpu = processCpuSeconds() - cpu0;
        int images = runs * b;
        return String.format(Locale.ROOT, "{\"batch\":%d,\"images\":%d,\"run\":%s,\"images_per_s\":%.2f,"
                + "\"cpu_ms_per_image\":%.4f}", b, images, stats(ns), images / wall, cpu * 1000 / images);
    }

    private static double processCpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String stats(long[] ns) {
        long[] s = ns.clone();
        Arrays.sort(s);
        double mean = Arrays.stream(ns).average().orElse(Double.NaN);
        return String.format(Locale.ROOT, "{\"p50\":%.4f,\"p99\":%.4f,\"mean\":%.4f,\"min\":%.4f}",
                q(s, 0.5) / 1e6, q(s, 0.99) / 1e6, mean / 1e6, s[0] / 1e6);
    }

    private static double q(long[] sorted, double q) {
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
