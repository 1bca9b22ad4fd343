package io.lineside.sinks.mqtt;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real Debian {@code mosquitto} broker on a free loopback port, with its own configuration,
 * password file (made by {@code mosquitto_passwd}) and persistence file, in a directory of its own.
 * {@link #stop()} is a clean stop (SIGTERM: the broker saves its queued messages); {@link #start()}
 * brings it back on the same port.
 */
public final class Mosquitto implements AutoCloseable {

    public static final String USER = "lineside";

    private final Path dir;
    private final int port;
    private Process process;

    private Mosquitto(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    /** A broker that knows {@link #USER} with {@code password}; anonymous clients are refused. */
    public static Mosquitto start(Path dir, String password) throws Exception {
        Files.createDirectories(dir);
        Path passwd = dir.resolve("passwd");
        Files.deleteIfExists(passwd);
        run("mosquitto_passwd", "-b", "-c", passwd.toString(), USER, password);
        run("mosquitto_passwd", "-b", passwd.toString(), "reader", "reader-secret");
        int port = freePort();
        Files.writeString(dir.resolve("mosquitto.conf"), String.join("\n",
                "listener " + port + " 127.0.0.1",
                "allow_anonymous false",
                "password_file " + passwd,
                "persistence true",
                "persistence_location " + dir + "/",
                "log_dest stdout",
                "log_type error",
                "log_type warning",
                "log_type notice",
                // Started as root it would switch to the mosquitto user and fail to read our files.
                "user " + System.getProperty("user.name"),
                "max_queued_messages 100000",
                ""));
        Mosquitto m = new Mosquitto(dir, port);
        m.start();
        return m;
    }

    public int port() {
        return port;
    }

    public String url() {
        return "tcp://127.0.0.1:" + port;
    }

    public synchronized void start() throws Exception {
        if (process != null && process.isAlive()) {
            return;
        }
        process = new ProcessBuilder("mosquitto", "-c", dir.resolve("mosquitto.conf").toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("mosquitto.log").toFile()))
                .start();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("mosquitto exited with " + process.exitValue() + ": "
                        + Files.readString(dir.resolve("mosquitto.log")));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("mosquitto did not listen on " + port + " within 20 s");
    }

    /** SIGTERM and wait: clients see the connection drop; queued messages are saved. */
    public synchronized void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor();
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd[0], "failed: ", out));
        }
    }
}
