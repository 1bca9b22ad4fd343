package io.lineside.sinks;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The packaged appliance ({@code lineside.app.jar}, set by the pom for failsafe) as a separate java
 * process on a free loopback port, its output appended to a log file; {@link #kill()} is kill -9.
 */
public final class PackagedAppliance implements AutoCloseable {

    private static final Pattern LISTENING = Pattern.compile("Listening on: http://[^:\\s]+:(\\d+)");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Process process;
    private final int port;

    private PackagedAppliance(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    public static PackagedAppliance start(Path log, Map<String, String> properties) throws Exception {
        Path jar = Path.of(System.getProperty("lineside.app.jar", "target/quarkus-app/quarkus-run.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("packaged app not found at " + jar.toAbsolutePath() + ": run ./mvnw verify");
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-Dquarkus.http.port=0", "-Dquarkus.http.host=127.0.0.1"));
        properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-jar");
        cmd.add(jar.toAbsolutePath().toString());
        Files.createDirectories(log.getParent());
        long logStart = Files.exists(log) ? Files.size(log) : 0;
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        int port = -1;
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("app exited with " + p.exitValue() + ":\n" + tail(log));
            }
            if (port < 0) {
                String text = Files.readString(log);
                Matcher m = LISTENING.matcher(text.substring((int) Math.min(logStart, text.length())));
                while (m.find()) {
                    port = Integer.parseInt(m.group(1));
                }
            }
            if (port > 0) {
                PackagedAppliance app = new PackagedAppliance(p, port);
                try {
                    if (app.get("/q/health/ready").statusCode() == 200) {
                        return app;
                    }
                } catch (IOException notYet) {
                    // starting
                }
            }
            Thread.sleep(200);
        }
        p.destroyForcibly();
        throw new IllegalStateException("app not ready within 180 s:\n" + tail(log));
    }

    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> post(String path, byte[] body, String contentType) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    public long pid() {
        return process.pid();
    }

    /** kill -9: no shutdown hook runs, nothing is flushed or said goodbye. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    public void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor();
        }
    }

    public static String tail(Path log) {
        try {
            String s = Files.readString(log);
            return s.length() > 6000 ? s.substring(s.length() - 6000) : s;
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            stop();
        }
    }
}
