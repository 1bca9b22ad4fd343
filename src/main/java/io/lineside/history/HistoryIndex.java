package io.lineside.history;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A compact in-memory index of the verdict journal, one entry per record in journal order:
 * commit time, journal position (file number and byte offset packed in one long), a 64-bit hash of
 * the record id (to find a paging cursor without reading the journal), and verdict + source packed
 * in a short. 26 bytes per record in 64k-entry chunks, so a million records take about 26 MB and
 * growth never copies the whole index. Built by one forward scan at start and appended as the
 * journal grows; queries scan the primitive columns newest first, so a page of a filtered query is
 * answered in well under a millisecond to a few milliseconds on a million records (bench note in
 * the README). Beyond {@code maxRecords} the oldest chunk is dropped (those records stay in the
 * journal and are still found by id).
 */
public final class HistoryIndex {
    public static final int GOOD = 0;
    public static final int DEFECT = 1;
    public static final int REJECTED = 2;
    /** Any verdict / any source in a query. */
    public static final int ANY = -1;

    static final int CHUNK = 1 << 16;
    private static final int SOURCE_BITS = 14;
    private static final int MAX_SOURCES = 1 << SOURCE_BITS;
    private static final int OFFSET_BITS = 40;
    private static final long OFFSET_MASK = (1L << OFFSET_BITS) - 1;

    private static final class Chunk {
        final long[] time = new long[CHUNK];
        final long[] position = new long[CHUNK];
        final long[] idHash = new long[CHUNK];
        final short[] meta = new short[CHUNK];
    }

    private final int maxRecords;
    private final List<Chunk> chunks = new ArrayList<>();
    /** Global sequence number of the first entry of chunks.get(0). */
    private long firstSeq;
    /** Global sequence number the next entry gets. */
    private long nextSeq;
    private final Map<String, Integer> sourceIds = new HashMap<>();
    private final List<String> sources = new ArrayList<>();
    private final Map<String, Integer> fileIds = new HashMap<>();
    private final List<String> files = new ArrayList<>();

    public HistoryIndex(int maxRecords) {
        this.maxRecords = Math.max(CHUNK, maxRecords);
    }

    /** A query over the index; the bounds are optional ({@code Long.MIN_VALUE}/{@code MAX_VALUE}, ANY). */
    public record Query(long beforeSeq, long beforeMillis, long sinceMillis, int verdict, String source, int limit) {
    }

    /** One hit: its sequence number (for a cursor) and where its record is. */
    public record Hit(long seq, String file, long offset, long timeMillis) {
    }

    public static long idHash(String id) {
        // FNV-1a 64: stable across runs (String.hashCode is only 32 bits).
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < id.length(); i++) {
            h ^= id.charAt(i);
            h *= 0x100000001b3L;
        }
        return h;
    }

    public static int verdictCode(String verdict, boolean rejected) {
        if (rejected) {
            return REJECTED;
        }
        return "DEFECT".equals(verdict) ? DEFECT : GOOD;
    }

    public synchronized void add(long timeMillis, String file, long offset, String id, int verdict, String source) {
        if (offset < 0 || offset > OFFSET_MASK) {
            throw new IllegalArgumentException("journal offset out of range: " + offset);
        }
        int fileId = fileIds.computeIfAbsent(file, f -> {
            files.add(f);
            return files.size() - 1;
        });
        int sourceId = sourceId(source, true);
        int slot = (int) (nextSeq - firstSeq) % CHUNK;
        if (slot == 0) {
            chunks.add(new Chunk());
        }
        Chunk c = chunks.get(chunks.size() - 1);
        c.time[slot] = timeMillis;
        c.position[slot] = ((long) fileId << OFFSET_BITS) | offset;
        c.idHash[slot] = idHash(id);
        c.meta[slot] = (short) ((verdict << SOURCE_BITS) | sourceId);
        nextSeq++;
        if (nextSeq - firstSeq > (long) maxRecords + CHUNK) {
            chunks.remove(0);
            firstSeq += CHUNK;
        }
    }

    private int sourceId(String source, boolean create) {
        Integer id = sourceIds.get(source);
        if (id != null) {
            return id;
        }
        if (!create) {
            return -1;
        }
        if (sources.size() >= MAX_SOURCES - 1) {
            return MAX_SOURCES - 1; // shared overflow bucket: only ever hit by a runaway set of source names
        }
        sources.add(source);
        sourceIds.put(source, sources.size() - 1);
        return sources.size() - 1;
    }

    public synchronized long size() {
        return nextSeq - firstSeq;
    }

    /** Sequence number of the oldest entry still indexed. */
    public synchronized long firstSeq() {
        return firstSeq;
    }

    public synchronized long nextSeq() {
        return nextSeq;
    }

    /** The last indexed record's position, or null when empty. */
    public synchronized Hit last() {
        return nextSeq == firstSeq ? null : hit(nextSeq - 1);
    }

    /** Sequence number of the newest record whose id has this hash, or -1. */
    public synchronized long findSeq(String id) {
        long h = idHash(id);
        for (int ci = chunks.size() - 1; ci >= 0; ci--) {
            Chunk c = chunks.get(ci);
            long base = firstSeq + (long) ci * CHUNK;
            int n = (int) Math.min(CHUNK, nextSeq - base);
            long[] hashes = c.idHash;
            for (int i = n - 1; i >= 0; i--) {
                if (hashes[i] == h) {
                    return base + i;
                }
            }
        }
        return -1;
    }

    /** Newest first, at most {@code limit} hits. */
    public synchronized List<Hit> query(Query q) {
        List<Hit> out = new ArrayList<>(Math.min(q.limit(), 1024));
        int source = ANY;
        if (q.source() != null) {
            source = sourceId(q.source(), false);
            if (source < 0) {
                return out; // never seen: nothing to find
            }
        }
        long from = Math.min(nextSeq, q.beforeSeq()) - 1;
        for (long seq = from; seq >= firstSeq && out.size() < q.limit(); ) {
            int ci = (int) ((seq - firstSeq) / CHUNK);
            Chunk c = chunks.get(ci);
            long base = firstSeq + (long) ci * CHUNK;
            for (int i = (int) (seq - base); i >= 0 && out.size() < q.limit(); i--, seq--) {
                long t = c.time[i];
                if (t < q.sinceMillis()) {
                    return out; // times never decrease along the journal
                }
                if (t >= q.beforeMillis()) {
                    continue;
                }
                int meta = c.meta[i] & 0xFFFF;
                if (q.verdict() != ANY && (meta >>> SOURCE_BITS) != q.verdict()) {
                    continue;
                }
                if (source != ANY && (meta & (MAX_SOURCES - 1)) != source) {
                    continue;
                }
                out.add(hit(base + i));
            }
        }
        return out;
    }

    private Hit hit(long seq) {
        int ci = (int) ((seq - firstSeq) / CHUNK);
        int i = (int) ((seq - firstSeq) % CHUNK);
        Chunk c = chunks.get(ci);
        long p = c.position[i];
        return new Hit(seq, files.get((int) (p >>> OFFSET_BITS)), p & OFFSET_MASK, c.time[i]);
    }
}
