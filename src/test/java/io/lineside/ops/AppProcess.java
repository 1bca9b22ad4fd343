package io.lineside.ops;

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
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.fail;

/** The packaged appliance (target/quarkus-app) started as its own process on a free port. */
final class AppProcess implements AutoCloseable {

    private static final Pattern LISTENING = Pattern.compile("Listening on: http://[^:\\s]+:(\\d+)");

    private final Process process;
    private final Path log;
    final int port;
    final URI base;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private AppProcess(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
        this.base = URI.create("http://127.0.0.1:" + port);
    }

    /** Starts the app in {@code dir} with these system properties and waits until it is ready. */
    static AppProcess start(Path dir, Map<String, String> properties) throws IOException, InterruptedException {
        Path jar = Path.of(System.getProperty("lineside.app.jar", "target/quarkus-app/quarkus-run.jar")).toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            fail(jar + " is missing: run the packaged-app tests with ./mvnw verify");
        }
        Files.createDirectories(dir);
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Dquarkus.http.port=0"));
        properties.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.addAll(List.of("-jar", jar.toString()));
        Path log = dir.resolve("app.log");
        Process process = new ProcessBuilder(command).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            Matcher listening = LISTENING.matcher(Files.readString(log));
            if (listening.find()) {
                AppProcess app = new AppProcess(process, log, Integer.parseInt(listening.group(1)));
                app.awaitReady(deadline);
                return app;
            }
            if (!process.isAlive()) {
                fail("the appliance exited with " + process.exitValue() + ":\n" + Tools.tail(Files.readString(log)));
            }
            Thread.sleep(200);
        }
        process.destroyForcibly();
        fail("the appliance did not start listening within 120 s:\n" + Tools.tail(Files.readString(log)));
        throw new AssertionError();
    }

    private void awaitReady(long deadline) throws IOException, InterruptedException {
        String last = "";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> ready = get("/q/health/ready");
                if (ready.statusCode() == 200) {
                    return;
                }
                last = ready.body();
            } catch (IOException notYet) {
                last = notYet.toString();
            }
            Thread.sleep(200);
        }
        fail("the appliance did not become ready: " + last + "\n" + log());
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, byte[] body, String contentType) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
                        .header("Content-Type", contentType)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    String log() throws IOException {
        return Tools.tail(Files.readString(log));
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
