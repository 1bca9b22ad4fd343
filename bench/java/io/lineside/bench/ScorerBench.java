package io.lineside.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.lineside.model.LoadedModel;
import io.lineside.model.ModelLoader;
import io.lineside.model.ModelStartup;
import io.lineside.scoring.ImageDecoder;
import io.lineside.scoring.ImageLimits;
import io.lineside.scoring.ImageRejectedException;
import io.lineside.scoring.ModelGeometry;
import io.lineside.scoring.OnnxScorer;
import io.lineside.scoring.ScoringSlot;

import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.stream.Stream;

/**
 * In-process measurements of the appliance's scoring code, driven by bench/bench.py over stdin/stdout
 * (one command per line, one JSON object per answer) so that its rounds can be interleaved with
 * rounds against the running appliance and the Python loop.
 * <p>
 * Commands:
 * <ul>
 *   <li>{@code floor N}: the floor, pure {@code OrtSession.run} of the model on a prepared input tensor
 *       (a real image, preprocessed once), in a session of its own opened with the appliance's options
 *       and threads; reported for a pinned output (what the appliance does), for ORT's ordinary
 *       allocate-the-output call, and for ORT's default spinning pool threads. The floor is the fastest.</li>
 *   <li>{@code hot N}: the appliance's hot path on decoded images: {@link ScoringSlot} preprocess, infer,
 *       score, per phase, with heap bytes allocated per image (ThreadMXBean) for the whole hot path and
 *       for preprocess+score alone (so ORT's {@code Result} wrapper shows as the difference).</li>
 *   <li>{@code decode N}: {@link ImageDecoder#decode} of the JPEG bytes: time and heap bytes per image.</li>
 *   <li>{@code quit}.</li>
 * </ul>
 * Arguments: {@code --model PATH|default --images DIR [--threads N]} (threads default: the appliance's
 * default, the CPUs this process may use).
 */
public final class ScorerBench {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private final OnnxScorer scorer;
    private final OrtSession floorSession;
    private final OrtSession spinningSession;
    private final OnnxTensor floorInput;
    private final OnnxTensor floorOutput;
    private final List<byte[]> encoded;
    private final List<BufferedImage> decoded;
    private final ImageDecoder decoder = new ImageDecoder(new ImageLimits(32L << 20, 40_000_000L));
    private final int threads;

    private ScorerBench(byte[] onnx, String origin, Path images, int threads) throws Exception {
        this.threads = threads;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        // The appliance's own loader, threads and pool size (concurrency defaults to threads).
        LoadedModel model = new ModelLoader(env, threads, threads).load(onnx, origin, OptionalDouble.empty());
        this.scorer = model.scorer();
        this.encoded = new ArrayList<>();
        try (Stream<Path> files = Files.list(images)) {
            for (Path p : files.filter(f -> f.toString().toLowerCase(Locale.ROOT).endsWith(".jpg")).sorted().toList()) {
                encoded.add(Files.readAllBytes(p));
            }
        }
        if (encoded.isEmpty()) {
            throw new IllegalArgumentException("no .jpg images in " + images);
        }
        this.decoded = new ArrayList<>();
        for (byte[] bytes : encoded) {
            decoded.add(decoder.decode(bytes, scorer.geometry()));
        }

        // The floor: a session of its own, same options as ModelLoader, a tensor prepared once;
        // and one with ORT's default of spinning pool threads, in case that runs faster alone.
        floorSession = floorSession(env, onnx, threads, false);
        spinningSession = floorSession(env, onnx, threads, true);
        ModelGeometry g = scorer.geometry();
        FloatBuffer in = direct(g.elements());
        try (ScoringSlot slot = scorer.acquire()) {
            slot.preprocess(decoded.get(0));
            for (int i = 0; i < g.elements(); i++) {
                in.put(i, slot.inputAt(i));
            }
        }
        floorInput = OnnxTensor.createTensor(env, in, g.shape());
        floorOutput = OnnxTensor.createTensor(env, direct(g.elements()), g.shape());
    }

    private static OrtSession floorSession(OrtEnvironment env, byte[] onnx, int threads, boolean spinning)
            throws OrtException {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (!spinning) {
                options.addConfigEntry("session.intra_op.allow_spinning", "0");
            }
            return env.createSession(onnx, options);
        }
    }

    private static FloatBuffer direct(int n) {
        return ByteBuffer.allocateDirect(n * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    public static void main(String[] args) throws Exception {
        String model = null;
        Path images = null;
        int threads = Runtime.getRuntime().availableProcessors();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> model = args[++i];
                case "--images" -> images = Path.of(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (model == null || images == null) {
            System.err.println("usage: ScorerBench --model PATH|default --images DIR [--threads N]");
            System.exit(2);
        }
        byte[] onnx;
        if (model.equals("default")) {
            try (InputStream in = ModelStartup.class.getResourceAsStream(ModelStartup.DEFAULT_MODEL_RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException("no embedded default model on the class path");
                }
                onnx = in.readAllBytes();
            }
        } else {
            onnx = Files.readAllBytes(Path.of(model));
        }
        ScorerBench bench = new ScorerBench(onnx, model, images, threads);
        System.out.println("{\"ready\":true,\"threads\":" + threads + ",\"pool\":" + bench.scorer.poolSize()
                + ",\"images\":" + bench.encoded.size() + ",\"geometry\":\"" + bench.scorer.geometry() + "\"}");
        System.out.flush();
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = commands.readLine()) != null) {
            String[] words = line.trim().split("\\s+");
            if (words[0].isEmpty()) {
                continue;
            }
            String answer = switch (words[0]) {
                case "floor" -> bench.floor(Integer.parseInt(words[1]));
                case "hot" -> bench.hot(Integer.parseInt(words[1]));
                case "decode" -> bench.decode(Integer.parseInt(words[1]));
                case "quit" -> null;
                default -> "{\"error\":\"unknown command " + words[0] + "\"}";
            };
            if (answer == null) {
                break;
            }
            System.out.println(answer);
            System.out.flush();
        }
    }

    private String floor(int n) throws OrtException {
        Map<String, OnnxTensor> inputs = Map.of(ModelLoader.INPUT_NAME, floorInput);
        Map<String, OnnxTensor> pinned = Map.of(ModelLoader.OUTPUT_NAME, floorOutput);
        long[] pinnedNs = new long[n];
        long[] plainNs = new long[n];
        long[] spinningNs = new long[n];
        // Alternate the two forms of the appliance's session so that both see the same machine.
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            try (OrtSession.Result ignored = floorSession.run(inputs, pinned)) {
                pinnedNs[i] = System.nanoTime() - t0;
            }
            long t1 = System.nanoTime();
            try (OrtSession.Result result = floorSession.run(inputs)) {
                plainNs[i] = System.nanoTime() - t1;
            }
        }
        // The spinning session in a block of its own: its spinning threads would slow any run beside them.
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            try (OrtSession.Result ignored = spinningSession.run(inputs, pinned)) {
                spinningNs[i] = System.nanoTime() - t0;
            }
        }
        try {
            Thread.sleep(100); // let the spinners park before anything else runs
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "{\"n\":" + n + ",\"pinned\":" + stats(pinnedNs) + ",\"plain\":" + stats(plainNs)
                + ",\"spinning\":" + stats(spinningNs) + "}";
    }

    private String hot(int n) throws Exception {
        long[] pre = new long[n];
        long[] inf = new long[n];
        long[] sco = new long[n];
        long[] all = new long[n];
        long thread = Thread.currentThread().getId();
        double sink = 0;
        long before = THREADS.getThreadAllocatedBytes(thread);
        for (int i = 0; i < n; i++) {
            BufferedImage image = decoded.get(i % decoded.size());
            try (ScoringSlot slot = scorer.acquire()) {
                long t0 = System.nanoTime();
                slot.preprocess(image);
                long t1 = System.nanoTime();
                slot.infer();
                long t2 = System.nanoTime();
                sink += slot.score();
                long t3 = System.nanoTime();
                pre[i] = t1 - t0;
                inf[i] = t2 - t1;
                sco[i] = t3 - t2;
                all[i] = t3 - t0;
            }
        }
        long hotBytes = THREADS.getThreadAllocatedBytes(thread) - before;
        // Each phase alone, to show who allocates: lineside's preprocess and score, ORT's run wrapper.
        long preBytes;
        long inferBytes;
        long scoreBytes;
        try (ScoringSlot slot = scorer.acquire()) {
            before = THREADS.getThreadAllocatedBytes(thread);
            for (int i = 0; i < n; i++) {
                slot.preprocess(decoded.get(i % decoded.size()));
            }
            preBytes = THREADS.getThreadAllocatedBytes(thread) - before;
            before = THREADS.getThreadAllocatedBytes(thread);
            for (int i = 0; i < n; i++) {
                slot.infer();
            }
            inferBytes = THREADS.getThreadAllocatedBytes(thread) - before;
            before = THREADS.getThreadAllocatedBytes(thread);
            for (int i = 0; i < n; i++) {
                sink += slot.score();
            }
            scoreBytes = THREADS.getThreadAllocatedBytes(thread) - before;
        }
        return String.format(Locale.ROOT,
                "{\"n\":%d,\"preprocess\":%s,\"infer\":%s,\"score\":%s,\"hot\":%s,\"bytesPerImage\":%.1f,"
                        + "\"bytesPerImageByPhase\":{\"preprocess\":%.1f,\"infer\":%.1f,\"score\":%.1f},\"sink\":%.6g}",
                n, stats(pre), stats(inf), stats(sco), stats(all), (double) hotBytes / n,
                (double) preBytes / n, (double) inferBytes / n, (double) scoreBytes / n, sink);
    }

    private String decode(int n) throws ImageRejectedException {
        long[] ns = new long[n];
        long thread = Thread.currentThread().getId();
        int pixels = 0;
        long before = THREADS.getThreadAllocatedBytes(thread);
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            BufferedImage image = decoder.decode(encoded.get(i % encoded.size()), scorer.geometry());
            ns[i] = System.nanoTime() - t0;
            pixels += image.getWidth();
        }
        long bytes = THREADS.getThreadAllocatedBytes(thread) - before;
        return String.format(Locale.ROOT, "{\"n\":%d,\"decode\":%s,\"bytesPerImage\":%.1f,\"sink\":%d}",
                n, stats(ns), (double) bytes / n, pixels);
    }

    /** {"p50":ms,"p99":ms,"mean":ms} */
    private static String stats(long[] ns) {
        long[] sorted = ns.clone();
        Arrays.sort(sorted);
        double mean = Arrays.stream(ns).average().orElse(Double.NaN);
        return String.format(Locale.ROOT, "{\"p50\":%.4f,\"p99\":%.4f,\"mean\":%.4f,\"min\":%.4f}",
                quantile(sorted, 0.50) / 1e6, quantile(sorted, 0.99) / 1e6, mean / 1e6, sorted[0] / 1e6);
    }

    private static double quantile(long[] sorted, double q) {
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
