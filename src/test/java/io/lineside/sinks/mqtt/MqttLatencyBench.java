package io.lineside.sinks.mqtt;

import io.lineside.ingest.folder.PackagedApp;
import io.lineside.sinks.SinkScene;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Benchmark (run by {@code bench/mqtt-latency.sh}, never by the test suite): two packaged appliances,
 * one publishing to a real mosquitto and one without MQTT, take the same 200 images/s bursts in
 * interleaved rounds. Prints the verdict-to-subscriber latency (journal commit time in the message
 * to its arrival at a QoS 1 subscriber, same clock) and the appliance CPU per image with and without
 * publishing (from /proc/PID/stat), as medians over rounds.
 */
@EnabledIfSystemProperty(named = "lineside.bench", matches = "true")
class MqttLatencyBench {

    private static final int RATE = Integer.getInteger("lineside.bench.rate", 200);
    private static final int SECONDS = Integer.getInteger("lineside.bench.seconds", 10);
    private static final int ROUNDS = Integer.getInteger("lineside.bench.rounds", 3);
    private static final int WARMUP = Integer.getInteger("lineside.bench.warmup", 20);
    private static final HttpClient HTTP = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(16)).build();

    @Test
    void verdictToSubscriberLatencyAndPublishingCost() throws Exception {
        Path root = Path.of("target", "bench-mqtt", UUID.randomUUID().toString()).toAbsolutePath();
        Files.createDirectories(root);
        Path model = root.resolve("model.onnx");
        Files.write(model, SinkScene.modelBytes());
        try (Mosquitto broker = Mosquitto.start(root.resolve("broker"), BrokerResource.PASSWORD);
             Subscriber sub = Subscriber.connect(broker.port(), "bench-sub", "bench/verdict", false);
             PackagedApp off = PackagedApp.start(root.resolve("off.log"), props(root.resolve("off"), model, null));
             PackagedApp on = PackagedApp.start(root.resolve("on.log"), props(root.resolve("on"), model, broker))) {
            byte[] image = SinkScene.good();
            // Warm both JVMs (C2) before measuring.
            burst(off, image, RATE, WARMUP);
            Burst warm = burst(on, image, RATE, WARMUP);
            sub.await(m -> m.size() >= warm.answered, Duration.ofSeconds(30));
            List<Double> p50 = new ArrayList<>();
            List<Double> p99 = new ArrayList<>();
            List<Double> max = new ArrayList<>();
            List<Double> cpuOff = new ArrayList<>();
            List<Double> cpuOn = new ArrayList<>();
            List<Double> rates = new ArrayList<>();
            for (int round = 1; round <= ROUNDS; round++) {
                long before = cpuMillis(off.pid());
                Burst b = burst(off, image, RATE, SECONDS);
                Thread.sleep(500);
                cpuOff.add((cpuMillis(off.pid()) - before) * 1000.0 / b.answered);

                int seen = sub.messages().size();
                before = cpuMillis(on.pid());
                b = burst(on, image, RATE, SECONDS);
                int expected = seen + b.answered;
                if (!sub.await(m -> m.size() >= expected, Duration.ofSeconds(30))) {
                    throw new AssertionError("subscriber got " + (sub.messages().size() - seen) + " of " + b.answered);
                }
                Thread.sleep(500);
                cpuOn.add((cpuMillis(on.pid()) - before) * 1000.0 / b.answered);
                rates.add(b.rate);
                List<Double> lat = new ArrayList<>();
                List<Subscriber.Message> got = sub.messages();
                for (Subscriber.Message m : got.subList(seen, got.size())) {
                    lat.add(m.latencyMillis());
                }
                Collections.sort(lat);
                p50.add(q(lat, 0.5));
                p99.add(q(lat, 0.99));
                max.add(lat.get(lat.size() - 1));
                System.out.printf("round %d: %d images at %.0f/s; latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; "
                                + "CPU per image %.0f us without MQTT, %.0f us with%n", round, b.answered, b.rate,
                        q(lat, 0.5), q(lat, 0.99), lat.get(lat.size() - 1), cpuOff.get(round - 1), cpuOn.get(round - 1));
            }
            List<Double> cost = new ArrayList<>();
            for (int i = 0; i < ROUNDS; i++) {
                cost.add(cpuOn.get(i) - cpuOff.get(i));
            }
            System.out.printf("MQTT bench (%d rounds of %d s at %d images/s, QoS 1, loopback mosquitto): "
                            + "verdict-to-subscriber latency p50 %.2f ms, p99 %.2f ms (max %.2f ms); "
                            + "appliance CPU per image %.0f us without MQTT, %.0f us with (+%.0f us, median of per-round differences); "
                            + "achieved %.0f images/s%n", ROUNDS, SECONDS, RATE, median(p50), median(p99), median(max),
                    median(cpuOff), median(cpuOn), median(cost), median(rates));
            System.out.printf("machine: %d CPUs, %s%n", Runtime.getRuntime().availableProcessors(), Instant.now());
        }
    }

    private static Map<String, String> props(Path data, Path model, Mosquitto broker) {
        Map<String, String> p = new HashMap<>();
        p.put("lineside.model.path", model.toString());
        p.put("lineside.journal.path", data.resolve("journal").toString());
        p.put("lineside.retention.path", data.resolve("images").toString());
        p.put("lineside.calibration.state-file", data.resolve("threshold.json").toString());
        p.put("lineside.folder.enabled", "false");
        if (broker != null) {
            p.put("lineside.mqtt.url", broker.url());
            p.put("lineside.mqtt.username", Mosquitto.USER);
            p.put("lineside.mqtt.password", BrokerResource.PASSWORD);
            p.put("lineside.mqtt.topic-prefix", "bench");
        }
        return p;
    }

    private record Burst(int answered, double rate) {
    }

    /** {@code rate} POSTs per second for {@code seconds}, paced by a timer, each sent without waiting for the last. */
    private static Burst burst(PackagedApp app, byte[] image, int rate, int seconds) throws Exception {
        int n = rate * seconds;
        AtomicInteger ok = new AtomicInteger();
        List<CompletableFuture<?>> sent = Collections.synchronizedList(new ArrayList<>());
        ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();
        AtomicInteger fired = new AtomicInteger();
        long start = System.nanoTime();
        pacer.scheduleAtFixedRate(() -> {
            if (fired.get() >= n) {
                return;
            }
            fired.incrementAndGet();
            HttpRequest req = HttpRequest.newBuilder(URI.create(app.baseUrl() + "/api/v1/inspections?name=bench"))
                    .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofByteArray(image)).build();
            sent.add(HTTP.sendAsync(req, HttpResponse.BodyHandlers.discarding())
                    .thenAccept(r -> {
                        if (r.statusCode() == 200) {
                            ok.incrementAndGet();
                        }
                    }));
        }, 0, 1_000_000 / rate, TimeUnit.MICROSECONDS);
        while (fired.get() < n) {
            Thread.sleep(10);
        }
        pacer.shutdown();
        CompletableFuture.allOf(sent.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
        double elapsed = (System.nanoTime() - start) / 1e9;
        return new Burst(ok.get(), ok.get() / elapsed);
    }

    /** User + system CPU of a process, in ms (from /proc; 10 ms ticks). */
    private static long cpuMillis(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
        return ticks * 10;
    }

    private static double q(List<Double> sorted, double q) {
        return sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(q * sorted.size()) - 1));
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }
}
