package io.lineside.ingest.folder;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code <inbox>/.lineside-work/}: where files are claimed, on the inbox's own file system so the claim is
 * one atomic rename. A file in {@code claimed/} is lineside's until it has a verdict and is archived;
 * {@code plans/} remembers where a file with a verdict is going, so an interrupted move finishes the same way.
 */
final class WorkArea {

    static final String DIR = ".lineside-work";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path claimed;
    private final Path plans;
    private final AtomicLong sequence = new AtomicLong();

    /**
     * A claimed file: named {@code <claim millis>-<sequence>~<relative path, '/' as %2F>}, so the name alone
     * says when it was claimed (bounding the journal search after a crash) and where it came from.
     */
    record Claim(String fileName, String relativePath, long claimedAtMillis) {
    }

    /** Where an inspected file goes: {@code destination} relative to the archive (null: delete), and its record. */
    @io.quarkus.runtime.annotations.RegisterForReflection
    record Plan(String destination, String recordJson) {
    }

    WorkArea(Path inbox) {
        Path root = inbox.resolve(DIR);
        this.claimed = root.resolve("claimed");
        this.plans = root.resolve("plans");
    }

    void create() throws IOException {
        Files.createDirectories(claimed);
        Files.createDirectories(plans);
    }

    Path claimedDir() {
        return claimed;
    }

    Path path(Claim c) {
        return claimed.resolve(c.fileName());
    }

    /** Atomically takes {@code source} into the work area; empty when it vanished first (someone else took it). */
    Optional<Claim> claim(Path source, String relativePath, long nowMillis) throws IOException {
        String name = nowMillis + "-" + String.format("%06d", sequence.incrementAndGet() % 1_000_000) + "~"
                + encode(relativePath);
        try {
            Files.move(source, claimed.resolve(name), StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        return Optional.of(new Claim(name, relativePath, nowMillis));
    }

    /** Up to {@code max} claimed files, oldest claim first among those listed. */
    List<Claim> list(int max) throws IOException {
        List<Claim> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(claimed)) {
            for (Path p : s) {
                parse(p.getFileName().toString()).ifPresent(out::add);
                if (out.size() >= max) {
                    break;
                }
            }
        }
        out.sort((a, b) -> a.fileName().compareTo(b.fileName()));
        return out;
    }

    static Optional<Claim> parse(String fileName) {
        int dash = fileName.indexOf('-');
        int tilde = fileName.indexOf('~');
        if (dash <= 0 || tilde <= dash) {
            return Optional.empty();
        }
        try {
            long millis = Long.parseLong(fileName.substring(0, dash));
            return Optional.of(new Claim(fileName, decode(fileName.substring(tilde + 1)), millis));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    Optional<Plan> readPlan(Claim c) throws IOException {
        Path p = plans.resolve(c.fileName());
        try {
            return Optional.of(JSON.readValue(Files.readAllBytes(p), Plan.class));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return Optional.empty(); // cut short by a crash: the journal lookup decides again
        }
    }

    /** Not forced: if it is lost in a crash, the journal lookup rebuilds the same decision. */
    void writePlan(Claim c, Plan plan) throws IOException {
        Path tmp = plans.resolve(c.fileName() + ".tmp");
        Files.write(tmp, JSON.writeValueAsBytes(plan));
        Files.move(tmp, plans.resolve(c.fileName()), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    void deletePlan(Claim c) throws IOException {
        Files.deleteIfExists(plans.resolve(c.fileName()));
    }

    static String encode(String relativePath) {
        return relativePath.replace("%", "%25").replace("/", "%2F");
    }

    static String decode(String encoded) {
        return encoded.replace("%2F", "/").replace("%25", "%");
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
