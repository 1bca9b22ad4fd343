package io.lineside.history;

import io.lineside.inspection.Verdict;
import io.lineside.scoring.Roi;
import org.jboss.logging.Logger;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Keeps the input bytes and residual map of recent inspections on disk, within a count and a byte
 * budget. Memory holds only a small index entry per kept inspection (bounded by the count budget);
 * bytes are read back from disk on request. Survives restarts: the index is rebuilt from the
 * directory.
 *
 * <p>Eviction order when a budget is exceeded: the newest quarter of the kept inspections is never
 * evicted (so the live page always has pictures of the latest parts); among the older ones, the
 * oldest GOOD part goes first, and only when no older good part is left, the oldest DEFECT. So
 * defects are kept in preference to good parts, up to three quarters of what is kept.
 */
public final class ImageStore {
    private static final Logger LOG = Logger.getLogger(ImageStore.class);
    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9_-]{1,100}");
    private static final int MAGIC = 0x4C535248; // "LSRH": lineside residual + header
    private static final String IMAGE_SUFFIX = ".img";
    private static final String META_SUFFIX = ".res";

    /** What is known of a kept inspection without reading its files. */
    public record Entry(String id, Instant time, Verdict verdict, String modelSha256, double threshold, long bytes) {
    }

    /**
     * A kept inspection's residual map and the scale it is shown with; both null until the map is
     * attached (good parts get theirs when first asked for).
     */
    public record Kept(Entry entry, ResidualMap map, HeatScale scale) {
        public boolean hasMap() {
            return map != null;
        }
    }

    private final Path dir;
    private final int maxImages;
    private final long maxBytes;
    /** Insertion (= arrival) order; guarded by this. */
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();
    private long totalBytes;
    private long evicted;

    public ImageStore(Path dir, int maxImages, long maxBytes) {
        if (maxImages < 0 || maxBytes < 0) {
            throw new IllegalArgumentException("retention budgets must not be negative");
        }
        this.dir = dir;
        this.maxImages = maxImages;
        this.maxBytes = maxBytes;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create image store " + dir + ": " + e.getMessage(), e);
        }
        reload();
    }

    public static boolean isStorableId(String id) {
        return id != null && SAFE_ID.matcher(id).matches();
    }

    /**
     * Keeps one inspection's image and residual map, then evicts what the budgets no longer allow
     * (possibly this very inspection when the budget is zero or it alone exceeds the disk budget).
     * {@code map} and {@code scale} may be null: see {@link #attach}.
     */
    public void put(String id, Instant time, Verdict verdict, String modelSha256, double threshold, byte[] image,
                    ResidualMap map, HeatScale scale) {
        if (!isStorableId(id)) {
            throw new IllegalArgumentException("inspection id not storable: " + id);
        }
        if (maxImages == 0) {
            return;
        }
        byte[] meta = encodeMeta(id, time, verdict, modelSha256, threshold, map, scale);
        long size = (long) image.length + meta.length;
        if (size > maxBytes) {
            LOG.debugf("inspection %s (%d bytes) exceeds the image disk budget; not kept", id, size);
            return;
        }
        try {
            writeAtomically(dir.resolve(id + IMAGE_SUFFIX), image);
            // The meta file is written last: its presence marks a complete entry on reload.
            writeAtomically(dir.resolve(id + META_SUFFIX), meta);
        } catch (IOException e) {
            deleteQuietly(id);
            throw new UncheckedIOException("cannot keep image of " + id + ": " + e.getMessage(), e);
        }
        List<String> victims;
        synchronized (this) {
            Entry old = entries.remove(id);
            if (old != null) {
                totalBytes -= old.bytes();
            }
            entries.put(id, new Entry(id, time, verdict, modelSha256, threshold, size));
            totalBytes += size;
            victims = chooseVictims();
        }
        victims.forEach(this::deleteQuietly);
    }

    /** Adds the residual map to a kept inspection; false when it is no longer kept. */
    public boolean attach(String id, ResidualMap map, HeatScale scale) {
        Entry entry;
        synchronized (this) {
            entry = entries.get(id);
        }
        if (entry == null) {
            return false;
        }
        byte[] meta = encodeMeta(id, entry.time(), entry.verdict(), entry.modelSha256(), entry.threshold(), map, scale);
        List<String> victims;
        synchronized (this) {
            if (!entries.containsKey(id)) {
                return false;
            }
            try {
                long oldMeta = Files.size(dir.resolve(id + META_SUFFIX));
                writeAtomically(dir.resolve(id + META_SUFFIX), meta);
                Entry grown = new Entry(id, entry.time(), entry.verdict(), entry.modelSha256(), entry.threshold(),
                        entry.bytes() - oldMeta + meta.length);
                entries.put(id, grown); // same key: keeps its place in arrival order
                totalBytes += grown.bytes() - entry.bytes();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot attach residual map to " + id + ": " + e.getMessage(), e);
            }
            victims = chooseVictims();
        }
        victims.forEach(this::deleteQuietly);
        return contains(id);
    }

    public synchronized boolean contains(String id) {
        return entries.containsKey(id);
    }

    public synchronized int size() {
        return entries.size();
    }

    public synchronized long totalBytes() {
        return totalBytes;
    }

    public synchronized long evictedCount() {
        return evicted;
    }

    /** Kept entries, oldest first (a copy). */
    public synchronized List<Entry> entries() {
        return new ArrayList<>(entries.values());
    }

    public Optional<byte[]> image(String id) {
        if (!contains(id)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.readAllBytes(dir.resolve(id + IMAGE_SUFFIX)));
        } catch (NoSuchFileException e) {
            return Optional.empty(); // evicted between the check and the read
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Optional<Kept> kept(String id) {
        Entry entry;
        synchronized (this) {
            entry = entries.get(id);
        }
        if (entry == null) {
            return Optional.empty();
        }
        try {
            Decoded d = decodeMeta(Files.readAllBytes(dir.resolve(id + META_SUFFIX)));
            return Optional.of(new Kept(entry, d.map, d.scale));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Entries to delete so both budgets hold; removes them from the index. Caller holds the lock. */
    private List<String> chooseVictims() {
        List<String> victims = new ArrayList<>();
        while (entries.size() > maxImages || totalBytes > maxBytes) {
            Entry victim = pickVictim();
            entries.remove(victim.id());
            totalBytes -= victim.bytes();
            evicted++;
            victims.add(victim.id());
        }
        return victims;
    }

    private Entry pickVictim() {
        int protectedNewest = Math.max(1, entries.size() / 4);
        int evictable = entries.size() - protectedNewest;
        Entry oldest = null;
        Entry oldestGood = null;
        int i = 0;
        for (Entry e : entries.values()) {
            if (i++ >= evictable) {
                break;
            }
            if (oldest == null) {
                oldest = e;
            }
            if (e.verdict() == Verdict.GOOD) {
                oldestGood = e;
                break;
            }
        }
        if (oldestGood != null) {
            return oldestGood;
        }
        if (oldest != null) {
            return oldest;
        }
        // Everything is in the protected newest part (a disk budget smaller than a few images): oldest first.
        return entries.values().iterator().next();
    }

    private void deleteQuietly(String id) {
        for (String suffix : new String[]{META_SUFFIX, IMAGE_SUFFIX}) {
            try {
                Files.deleteIfExists(dir.resolve(id + suffix));
            } catch (IOException e) {
                LOG.warnf("cannot delete kept file %s%s: %s", id, suffix, e.getMessage());
            }
        }
    }

    private void reload() {
        List<Entry> found = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (name.endsWith(".tmp")) {
                    Files.deleteIfExists(file); // torn write from a crash
                    continue;
                }
                if (!name.endsWith(META_SUFFIX)) {
                    continue;
                }
                String id = name.substring(0, name.length() - META_SUFFIX.length());
                Path image = dir.resolve(id + IMAGE_SUFFIX);
                try {
                    byte[] meta = Files.readAllBytes(file);
                    Decoded d = decodeMeta(meta);
                    found.add(new Entry(id, d.time, d.verdict, d.modelSha256, d.threshold, Files.size(image) + meta.length));
                } catch (IOException | RuntimeException e) {
                    LOG.warnf("dropping unreadable kept inspection %s: %s", id, e.getMessage());
                    deleteQuietly(id);
                }
            }
            // Image files whose meta never got written.
            try (DirectoryStream<Path> images = Files.newDirectoryStream(dir, "*" + IMAGE_SUFFIX)) {
                for (Path image : images) {
                    String n = image.getFileName().toString();
                    if (!Files.exists(dir.resolve(n.substring(0, n.length() - IMAGE_SUFFIX.length()) + META_SUFFIX))) {
                        Files.deleteIfExists(image);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read image store " + dir + ": " + e.getMessage(), e);
        }
        found.sort(Comparator.comparing(Entry::time));
        List<String> victims;
        synchronized (this) {
            for (Entry e : found) {
                entries.put(e.id(), e);
                totalBytes += e.bytes();
            }
            victims = chooseVictims(); // the budgets may have shrunk since the last run
        }
        victims.forEach(this::deleteQuietly);
    }

    private static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private record Decoded(Instant time, Verdict verdict, String modelSha256, double threshold, ResidualMap map,
                           HeatScale scale) {
    }

    private static byte[] encodeMeta(String id, Instant time, Verdict verdict, String modelSha256, double threshold,
                                     ResidualMap map, HeatScale scale) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + (map == null ? 0 : map.values().length * 4));
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            out.writeByte(2); // format version: 2 added the map's region
            out.writeUTF(id);
            out.writeLong(time.toEpochMilli());
            out.writeByte(verdict.ordinal());
            out.writeUTF(modelSha256 == null ? "" : modelSha256);
            out.writeDouble(threshold);
            out.writeDouble(scale == null ? Double.NaN : scale.max());
            out.writeDouble(scale == null ? Double.NaN : scale.threshold());
            out.writeInt(map == null ? 0 : map.width());
            out.writeInt(map == null ? 0 : map.height());
            Roi region = map == null ? null : map.region();
            out.writeInt(region == null ? -1 : region.x());
            out.writeInt(region == null ? -1 : region.y());
            out.writeInt(region == null ? -1 : region.width());
            out.writeInt(region == null ? -1 : region.height());
            if (map != null) {
                // One bulk copy: writeFloat per value cost ~0.5 ms per map (a synchronized write per byte).
                java.nio.ByteBuffer floats = java.nio.ByteBuffer.allocate(map.values().length * Float.BYTES);
                floats.asFloatBuffer().put(map.values());
                out.write(floats.array());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static Decoded decodeMeta(byte[] meta) throws IOException {
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(meta))) {
            byte version;
            if (in.readInt() != MAGIC || ((version = in.readByte()) != 1 && version != 2)) {
                throw new IOException("not a lineside residual file");
            }
            in.readUTF();
            Instant time = Instant.ofEpochMilli(in.readLong());
            Verdict verdict = Verdict.values()[in.readByte()];
            String modelSha256 = in.readUTF();
            double threshold = in.readDouble();
            double max = in.readDouble();
            double scaleThreshold = in.readDouble();
            int w = in.readInt();
            int h = in.readInt();
            Roi region = null;
            if (version >= 2) {
                int rx = in.readInt();
                int ry = in.readInt();
                int rw = in.readInt();
                int rh = in.readInt();
                if (rw > 0) {
                    region = new Roi(rx, ry, rw, rh);
                }
            }
            if (w == 0 && h == 0) {
                return new Decoded(time, verdict, modelSha256, threshold, null, null);
            }
            HeatScale scale = new HeatScale(max, scaleThreshold);
            if (w <= 0 || h <= 0 || (long) w * h * 4 > meta.length) {
                throw new IOException("residual map size " + w + "x" + h + " does not fit the file");
            }
            float[] values = new float[w * h];
            byte[] raw = new byte[values.length * Float.BYTES];
            in.readFully(raw);
            java.nio.ByteBuffer.wrap(raw).asFloatBuffer().get(values);
            return new Decoded(time, verdict, modelSha256, threshold, new ResidualMap(w, h, values, region), scale);
        }
    }
}
