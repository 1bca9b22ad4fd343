package io.lineside.ops;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A real Prometheus (the Debian package's binary) on a free port with its own config and storage,
 * scraping one target every second and evaluating the given rule file every second.
 */
final class PrometheusServer implements AutoCloseable {

    private final Process process;
    private final Path log;
    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private PrometheusServer(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.base = URI.create("http://127.0.0.1:" + port);
    }

    static PrometheusServer start(Path dir, String target, Path ruleFile) throws IOException, InterruptedException {
        Path binary = Tools.require("prometheus");
        Files.createDirectories(dir);
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, """
                global:
                  scrape_interval: 1s
                  scrape_timeout: 1s
                  evaluation_interval: 1s
                rule_files:
                  - %s
                scrape_configs:
                  - job_name: lineside
                    metrics_path: /q/metrics
                    static_configs:
                      - targets: ['%s']
                """.formatted(ruleFile.toAbsolutePath(), target));
        // A port picked free can be taken before Prometheus binds it: try a few.
        for (int attempt = 0; attempt < 3; attempt++) {
            int port = freePort();
            Path log = dir.resolve("prometheus-" + attempt + ".log");
            Process process = new ProcessBuilder(binary.toString(),
                    "--config.file=" + config,
                    "--storage.tsdb.path=" + dir.resolve("data-" + attempt),
                    "--web.listen-address=127.0.0.1:" + port,
                    "--log.level=warn")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            PrometheusServer server = new PrometheusServer(process, log, port);
            if (server.awaitReady(Duration.ofSeconds(60))) {
                return server;
            }
            server.close();
        }
        fail("Prometheus did not start; see " + dir);
        throw new AssertionError();
    }

    private boolean awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                return false;
            }
            try {
                HttpResponse<String> ready = http.send(HttpRequest.newBuilder(base.resolve("/-/ready")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (ready.statusCode() == 200) {
                    return true;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(200);
        }
        return false;
    }

    /** GET /api/v1/{path}; the "data" member of a successful answer. */
    JsonNode api(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(base.resolve("/api/v1/" + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode body = Manifests.JSON.readTree(response.body());
        if (response.statusCode() != 200 || !"success".equals(body.path("status").asText())) {
            fail("Prometheus " + path + " -> " + response.statusCode() + " " + response.body());
        }
        return body.path("data");
    }

    /** Instant vector result of a PromQL query. */
    JsonNode query(String promql) throws IOException, InterruptedException {
        return api("query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)).path("result");
    }

    /** The value of a query that returns exactly one series. */
    double single(String promql) throws IOException, InterruptedException {
        JsonNode result = query(promql);
        if (result.size() != 1) {
            fail(promql + " returned " + result.size() + " series: " + result);
        }
        return Double.parseDouble(result.get(0).path("value").get(1).asText());
    }

    /** Latest evaluation time of every rule group, seconds since the epoch. */
    List<Double> ruleGroupEvaluations() throws IOException, InterruptedException {
        JsonNode groups = api("rules").path("groups");
        List<Double> times = new java.util.ArrayList<>();
        for (JsonNode group : groups) {
            times.add(java.time.OffsetDateTime.parse(group.path("lastEvaluation").asText()).toInstant().toEpochMilli() / 1000.0);
        }
        return times;
    }

    String log() {
        try {
            return Tools.tail(Files.readString(log));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
