package io.lineside.ops;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/** Runs the system tools the deployment tests rely on (kubectl, promtool, prometheus, bash). */
final class Tools {

    /** The repository root: tests run with the module directory as working directory. */
    static final Path ROOT = Path.of("").toAbsolutePath();

    private Tools() {
    }

    record Result(int exitCode, String output) {
    }

    /**
     * Finds a tool on the PATH; a missing tool fails the test (it must never be skipped quietly):
     * .ci/run installs all of them.
     */
    static Path require(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, tool);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        fail(tool + " is not installed (not on PATH). `bash .ci/run` installs it; by hand: "
                + switch (tool) {
                    case "promtool", "prometheus" -> "apt-get install -y prometheus";
                    case "kubectl" -> "see the kubectl lines in .ci/run";
                    default -> "install " + tool;
                });
        throw new AssertionError("unreachable");
    }

    /** Runs a command in the repository root, stdout and stderr merged. */
    static Result run(long timeoutSeconds, String... command) {
        return run(ROOT, timeoutSeconds, List.of(command));
    }

    static Result run(Path dir, long timeoutSeconds, List<String> command) {
        try {
            Path log = Files.createTempFile("lineside-tool", ".log");
            try {
                Process process = new ProcessBuilder(new ArrayList<>(command))
                        .directory(dir.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
                if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                    fail(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s:\n"
                            + tail(Files.readString(log, StandardCharsets.UTF_8)));
                }
                return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            throw new AssertionError("could not run " + command + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + command, e);
        }
    }

    /** Runs a command and fails the test, with its output, unless it exits 0. */
    static String runOk(long timeoutSeconds, String... command) {
        Result result = run(timeoutSeconds, command);
        if (result.exitCode() != 0) {
            fail(String.join(" ", command) + " exited " + result.exitCode() + ":\n" + tail(result.output()));
        }
        return result.output();
    }

    static String tail(String text) {
        return text.length() <= 6000 ? text : "..." + text.substring(text.length() - 6000);
    }
}
