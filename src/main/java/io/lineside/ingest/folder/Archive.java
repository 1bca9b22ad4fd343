package io.lineside.ingest.folder;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import java.util.HashSet;
import java.util.Set;

/**
 * {@code <archive>/{good|defect|rejected}/yyyy-MM-dd/<name>} with a sidecar {@code <name>.json}.
 * Names never overwrite: a taken name gets a suffix ({@code part-1.png}, {@code part-2.png}, ...).
 */
final class Archive {

    private final Path root;
    /** Destinations chosen but not yet filled, so two workers never pick the same free name. */
    private final Set<Path> reserved = new HashSet<>();

    Archive(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    Path root() {
        return root;
    }

    /** Picks and reserves a free destination; returns it relative to the archive root. */
    synchronized String choose(String category, LocalDate day, String relativePath) throws IOException {
        Path wanted = root.resolve(category).resolve(day.toString()).resolve(relativePath).normalize();
        if (!wanted.startsWith(root)) {
            throw new IOException("file name escapes the archive: " + relativePath);
        }
        Files.createDirectories(wanted.getParent());
        String name = wanted.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String base = dot > 0 ? name.substring(0, dot) : name;
        String ext = dot > 0 ? name.substring(dot) : "";
        Path candidate = wanted;
        for (int n = 1; taken(candidate); n++) {
            candidate = wanted.resolveSibling(base + "-" + n + ext);
        }
        reserved.add(candidate);
        return root.relativize(candidate).toString().replace(java.io.File.separatorChar, '/');
    }

    private boolean taken(Path p) {
        return reserved.contains(p) || Files.exists(p) || Files.exists(sidecar(p));
    }

    synchronized void release(String destination) {
        reserved.remove(resolve(destination));
    }

    /** Keeps a destination reserved (a plan still points at it after a failure). */
    synchronized void reserve(String destination) {
        reserved.add(resolve(destination));
    }

    Path resolve(String destination) {
        return root.resolve(destination);
    }

    static Path sidecar(Path image) {
        return image.resolveSibling(image.getFileName() + ".json");
    }

    /** Writes the sidecar whole (temporary name, then rename), so a reader never sees half of one. */
    void writeSidecar(Path image, byte[] json) throws IOException {
        Files.createDirectories(image.getParent());
        Path tmp = image.resolveSibling("." + image.getFileName() + ".json.tmp");
        Files.write(tmp, json);
        Files.move(tmp, sidecar(image), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Moves the image in: one rename on the same file system; otherwise copy to a hidden name, force, rename,
     * then delete the source (after a crash in between, the plan finds the copy and only the delete is redone).
     */
    void moveIn(Path source, Path image) throws IOException {
        Files.createDirectories(image.getParent());
        try {
            Files.move(source, image, StandardCopyOption.ATOMIC_MOVE);
            return;
        } catch (AtomicMoveNotSupportedException crossDevice) {
            // the archive is on another file system
        }
        Path partial = image.resolveSibling("." + image.getFileName() + ".partial");
        Files.copy(source, partial, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel ch = FileChannel.open(partial, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(partial, image, StandardCopyOption.ATOMIC_MOVE);
        Files.delete(source);
    }
}
