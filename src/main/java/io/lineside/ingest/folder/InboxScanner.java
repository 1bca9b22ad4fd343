package io.lineside.ingest.folder;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.FileVisitor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Finds complete files in the inbox by polling (works on SMB and NFS, where change notification does not).
 *
 * <p>A file is ready once its size and modification time have stayed the same for {@code settle}, measured on
 * this machine's clock (a network share's server clock may differ). A file moved in whole passes the same test.
 * Memory is bounded whatever the backlog: the directory is streamed, at most {@link #MAX_TRACKED} files are
 * watched at once, and a pass stops once it has found a batch of ready files.
 */
final class InboxScanner {

    static final int MAX_TRACKED = 10_000;
    /** Forget a tracked file not seen for this long (it vanished, or the pass stopped before it). */
    private static final long FORGET_NANOS = 60_000_000_000L;

    private final Path inbox;
    private final Path excluded;
    private final boolean recursive;
    private final long settleNanos;

    private record Seen(long size, long mtime, long stableSinceNanos, long lastSeenNanos) {
    }

    private final Map<String, Seen> tracked = new HashMap<>();

    /** What a full census of the inbox found. */
    record Census(long waiting, long oldestMtimeMillis, long unreadable) {
    }

    /**
     * @param excluded a directory inside the inbox never to look into (the archive, if it is placed there)
     */
    InboxScanner(Path inbox, Path excluded, boolean recursive, long settleNanos) {
        this.inbox = inbox;
        this.excluded = excluded;
        this.recursive = recursive;
        this.settleNanos = settleNanos;
    }

    /** Hidden and temporary names that writers use while a file is incomplete: {@code .*, *.tmp, *.part, *.crdownload, ~$*}. */
    static boolean ignored(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return name.startsWith(".") || name.startsWith("~$") || lower.endsWith(".tmp") || lower.endsWith(".part")
                || lower.endsWith(".crdownload");
    }

    /**
     * One polling pass: returns up to {@code max} ready files (relative paths), oldest-seen first within the pass.
     *
     * @param nowNanos {@link System#nanoTime()} now
     */
    List<String> ready(int max, long nowNanos) throws IOException {
        List<String> ready = new ArrayList<>();
        walk(new FileHandler() {
            @Override
            public boolean file(Path file, BasicFileAttributes attrs) {
                String rel = relative(file);
                long size = attrs.size();
                long mtime = attrs.lastModifiedTime().toMillis();
                Seen s = tracked.get(rel);
                if (s == null) {
                    if (tracked.size() < MAX_TRACKED) {
                        tracked.put(rel, new Seen(size, mtime, nowNanos, nowNanos));
                    }
                } else if (s.size() != size || s.mtime() != mtime) {
                    tracked.put(rel, new Seen(size, mtime, nowNanos, nowNanos));
                } else {
                    tracked.put(rel, new Seen(size, mtime, s.stableSinceNanos(), nowNanos));
                    // An unreadable file stays where it is (counted by the census) rather than being claimed and stuck.
                    if (nowNanos - s.stableSinceNanos() >= settleNanos && Files.isReadable(file)) {
                        ready.add(rel);
                    }
                }
                return ready.size() < max;
            }
        });
        Iterator<Seen> it = tracked.values().iterator();
        while (it.hasNext()) {
            if (nowNanos - it.next().lastSeenNanos() > FORGET_NANOS) {
                it.remove();
            }
        }
        return ready;
    }

    /** The file was claimed (or vanished): stop tracking it. */
    void forget(String rel) {
        tracked.remove(rel);
    }

    /** Counts waiting files and finds the oldest, streaming the whole inbox in constant memory. */
    Census census() throws IOException {
        long[] counts = new long[3];
        counts[1] = Long.MAX_VALUE;
        walk((file, attrs) -> {
            counts[0]++;
            counts[1] = Math.min(counts[1], attrs.lastModifiedTime().toMillis());
            if (!Files.isReadable(file)) {
                counts[2]++;
            }
            return true;
        });
        return new Census(counts[0], counts[0] == 0 ? 0 : counts[1], counts[2]);
    }

    String relative(Path file) {
        return inbox.relativize(file).toString().replace(java.io.File.separatorChar, '/');
    }

    Path resolve(String rel) {
        return inbox.resolve(rel);
    }

    @FunctionalInterface
    interface FileHandler {
        /** @return false to end the pass */
        boolean file(Path file, BasicFileAttributes attrs);
    }

    private void walk(FileHandler handler) throws IOException {
        Files.walkFileTree(inbox, EnumSet.noneOf(java.nio.file.FileVisitOption.class), recursive ? Integer.MAX_VALUE : 1,
                new FileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                        if (dir.equals(inbox)) {
                            return FileVisitResult.CONTINUE;
                        }
                        if (ignored(dir.getFileName().toString()) || dir.equals(excluded)) {
                            return FileVisitResult.SKIP_SUBTREE;
                        }
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                        if (!attrs.isRegularFile() || ignored(file.getFileName().toString())) {
                            return FileVisitResult.CONTINUE;
                        }
                        return handler.file(file, attrs) ? FileVisitResult.CONTINUE : FileVisitResult.TERMINATE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                        if (file.equals(inbox)) {
                            throw exc;
                        }
                        return FileVisitResult.CONTINUE; // vanished or unreadable entry: look again next pass
                    }

                    @Override
                    public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                        if (exc != null && dir.equals(inbox)) {
                            throw exc;
                        }
                        return FileVisitResult.CONTINUE;
                    }
                });
    }
}
