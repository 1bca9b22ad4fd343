package io.lineside.ingest.folder;

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
 * The packaged appliance ({@code target/quarkus-app/quarkus-run.jar}, passed by the pom as {@code lineside.app.jar})
 * running as a separate java process on a free loopback port, with its log in a file; {@link #kill()} is kill -9.
 * The crash and end-to-end ITs of the folder source and the line sinks share it.
 */
public final class PackagedApp implements AutoCloseable {

    private static final Pattern LISTENING = Pattern.compile("Listening on: http://[^:\\s]+:(\\d+)");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Process process;
    private final Path log;
    private final int port;

    private PackagedApp(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    static Path jar() {
        String jar = System.getProperty("lineside.app.jar", "target/quarkus-app/quarkus-run.jar");
        Path p = Path.of(jar);
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("packaged app not found at " + p.toAbsolutePath() + ": run ./mvnw verify");
        }
        return p;
    }

    /** Starts the app with these {@code -D} properties and waits until {@code /q/health/ready} is UP. */
    public static PackagedApp start(Path log, Map<String, String> properties) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-Dquarkus.http.port=0", "-Dquarkus.http.host=127.0.0.1"));
        properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-jar");
        cmd.add(jar().toAbsolutePath().toString());
        Files.createDirectories(log.getParent());
        long logStart = Files.exists(log) ? Files.size(log) : 0; // a restart appends to the same log
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
                    port = Integer.parseInt(m.group(1)); // the last start in this log
                }
            }
            if (port > 0) {
                PackagedApp app = new PackagedApp(p, log, port);
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
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> post(String path, byte[] body, String contentType) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    public long pid() {
        return process.pid();
    }

    /** kill -9: no shutdown hook runs, nothing is flushed by the app. */
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

    Path log() {
        return log;
    }

    public static String tail(Path log) {
        try {
            String s = Files.readString(log);
            return s.length() > 6000 ? s.substring(s.length() - 6000) : s;
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Runs {@code java -jar quarkus-run.jar ARGS...}, returning exit status and output. */
    static Map.Entry<Integer, String> runCommand(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar().toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        return Map.entry(p.waitFor(), out);
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            stop();
        }
    }
}
