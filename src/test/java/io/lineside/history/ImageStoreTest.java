package io.lineside.history;

import io.lineside.inspection.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageStoreTest {
    private static final ResidualMap MAP = new ResidualMap(2, 2, new float[]{0.1f, 0.2f, 0.3f, 0.4f});
    private static final HeatScale SCALE = new HeatScale(0.4, 0.3);
    private static final Instant T0 = Instant.parse("2026-11-28T10:00:00Z");

    @TempDir
    Path dir;

    private static void put(ImageStore store, String id, int second, Verdict verdict, int size) {
        store.put(id, T0.plusSeconds(second), verdict, "sha", 0.3, new byte[size], MAP, SCALE);
    }

    private static List<String> ids(ImageStore store) {
        return store.entries().stream().map(ImageStore.Entry::id).toList();
    }

    @Test
    void keepsBytesAndMapAndReadsThemBack() {
        ImageStore store = new ImageStore(dir, 10, 1 << 20);
        byte[] image = {1, 2, 3, 4, 5};
        store.put("a1", T0, Verdict.DEFECT, "m1", 0.25, image, MAP, SCALE);
        assertArrayEquals(image, store.image("a1").orElseThrow());
        ImageStore.Kept kept = store.kept("a1").orElseThrow();
        assertArrayEquals(MAP.values(), kept.map().values());
        assertEquals(Verdict.DEFECT, kept.entry().verdict());
        assertEquals(0.3, kept.scale().threshold(), 0);
        assertEquals("m1", kept.entry().modelSha256());
        assertEquals(0.25, kept.entry().threshold(), 0);
        assertTrue(store.image("missing").isEmpty());
    }

    @Test
    void aNonSquareMapKeepsItsSizeAndRegionAcrossARestart() {
        float[] values = new float[16 * 6];
        values[2 * 16 + 10] = 0.9f;
        ResidualMap strip = new ResidualMap(16, 6, values, new io.lineside.scoring.Roi(10, 20, 128, 48));
        new ImageStore(dir, 10, 1 << 20).put("s1", T0, Verdict.DEFECT, "m2", 0.3, new byte[7], strip,
                new HeatScale(0.8, Double.NaN));
        ImageStore.Kept kept = new ImageStore(dir, 10, 1 << 20).kept("s1").orElseThrow();
        assertEquals(16, kept.map().width());
        assertEquals(6, kept.map().height());
        assertArrayEquals(values, kept.map().values());
        assertEquals(strip.region(), kept.map().region());
        assertEquals(0.8, kept.scale().max(), 0);
    }

    @Test
    void filesWrittenBeforeRegionsExistedStillRead() throws Exception {
        // Version 1 of the .res file, as the appliance wrote it before format 2: no region fields.
        var bytes = new java.io.ByteArrayOutputStream();
        try (var out = new java.io.DataOutputStream(bytes)) {
            out.writeInt(0x4C535248);
            out.writeByte(1);
            out.writeUTF("old1");
            out.writeLong(T0.toEpochMilli());
            out.writeByte(Verdict.DEFECT.ordinal());
            out.writeUTF("m1");
            out.writeDouble(0.25);
            out.writeDouble(0.4);
            out.writeDouble(0.3);
            out.writeInt(2);
            out.writeInt(2);
            for (float v : MAP.values()) {
                out.writeFloat(v);
            }
        }
        Files.write(dir.resolve("old1.img"), new byte[] {9});
        Files.write(dir.resolve("old1.res"), bytes.toByteArray());
        ImageStore.Kept kept = new ImageStore(dir, 10, 1 << 20).kept("old1").orElseThrow();
        assertArrayEquals(MAP.values(), kept.map().values());
        assertEquals(null, kept.map().region());
        assertEquals(0.4, kept.scale().max(), 0);
    }

    @Test
    void mapCanBeAttachedLaterAndCountsAgainstTheDiskBudget() {
        ImageStore store = new ImageStore(dir, 10, 1 << 20);
        store.put("g1", T0, Verdict.GOOD, "m1", 0.25, new byte[100], null, null);
        assertFalse(store.kept("g1").orElseThrow().hasMap());
        long before = store.totalBytes();
        assertTrue(store.attach("g1", MAP, SCALE));
        assertTrue(store.kept("g1").orElseThrow().hasMap());
        assertEquals(before + 16, store.totalBytes(), "four floats more");
        assertEquals(store.totalBytes(), dirBytes());
        assertFalse(store.attach("gone", MAP, SCALE));
        ImageStore again = new ImageStore(dir, 10, 1 << 20);
        assertArrayEquals(MAP.values(), again.kept("g1").orElseThrow().map().values());
    }

    @Test
    void countBudgetEvictsOldestGoodFirstAndKeepsDefects() {
        ImageStore store = new ImageStore(dir, 8, 1 << 20);
        put(store, "d0", 0, Verdict.DEFECT, 10);
        put(store, "g1", 1, Verdict.GOOD, 10);
        put(store, "d2", 2, Verdict.DEFECT, 10);
        put(store, "g3", 3, Verdict.GOOD, 10);
        put(store, "g4", 4, Verdict.GOOD, 10);
        put(store, "g5", 5, Verdict.GOOD, 10);
        put(store, "g6", 6, Verdict.GOOD, 10);
        put(store, "g7", 7, Verdict.GOOD, 10);
        put(store, "g8", 8, Verdict.GOOD, 10); // over budget: g1 goes, not the older d0
        assertEquals(List.of("d0", "d2", "g3", "g4", "g5", "g6", "g7", "g8"), ids(store));
        put(store, "g9", 9, Verdict.GOOD, 10); // g3
        assertEquals(List.of("d0", "d2", "g4", "g5", "g6", "g7", "g8", "g9"), ids(store));
        assertTrue(store.image("g1").isEmpty() && store.image("g3").isEmpty());
        assertFalse(Files.exists(dir.resolve("g1.img")), "evicted files are deleted from disk");
        assertEquals(2, store.evictedCount());
    }

    @Test
    void newestQuarterIsKeptEvenWhenOnlyDefectsAreOlder() {
        ImageStore store = new ImageStore(dir, 4, 1 << 20);
        put(store, "d0", 0, Verdict.DEFECT, 10);
        put(store, "d1", 1, Verdict.DEFECT, 10);
        put(store, "d2", 2, Verdict.DEFECT, 10);
        put(store, "g3", 3, Verdict.GOOD, 10);
        put(store, "g4", 4, Verdict.GOOD, 10); // g3 is evictable and good: it goes before the defects
        assertEquals(List.of("d0", "d1", "d2", "g4"), ids(store));
        put(store, "g5", 5, Verdict.GOOD, 10); // g4 is no longer the newest: it goes
        assertEquals(List.of("d0", "d1", "d2", "g5"), ids(store));
        put(store, "d6", 6, Verdict.DEFECT, 10); // g5 is old now and good: it goes
        assertEquals(List.of("d0", "d1", "d2", "d6"), ids(store));
        put(store, "g7", 7, Verdict.GOOD, 10); // only defects are evictable: the oldest defect goes
        assertEquals(List.of("d1", "d2", "d6", "g7"), ids(store));
    }

    @Test
    void diskBudgetCountsImageAndMapBytes() {
        ImageStore store = new ImageStore(dir, 100, 3_500);
        for (int i = 0; i < 10; i++) {
            put(store, "g" + i, i, i == 2 ? Verdict.DEFECT : Verdict.GOOD, 1000);
        }
        assertTrue(store.totalBytes() <= 3_500, "within the disk budget: " + store.totalBytes());
        assertEquals(3, store.size());
        assertTrue(store.contains("g2"), "the defect outlives newer good parts");
        assertTrue(store.contains("g9"));
        long onDisk = dirBytes();
        assertEquals(store.totalBytes(), onDisk, "accounting matches the files");
    }

    @Test
    void imageLargerThanTheWholeDiskBudgetIsNotKept() {
        ImageStore store = new ImageStore(dir, 100, 500);
        put(store, "big", 0, Verdict.DEFECT, 1000);
        assertFalse(store.contains("big"));
        assertEquals(0, dirBytes());
    }

    @Test
    void indexIsRebuiltFromDiskAfterARestartAndShrunkToNewBudgets() throws Exception {
        ImageStore first = new ImageStore(dir, 10, 1 << 20);
        put(first, "g0", 0, Verdict.GOOD, 10);
        put(first, "d1", 1, Verdict.DEFECT, 10);
        put(first, "g2", 2, Verdict.GOOD, 10);
        put(first, "g3", 3, Verdict.GOOD, 10);
        Files.write(dir.resolve("torn.img.tmp"), new byte[3]); // a write cut by a crash
        Files.write(dir.resolve("orphan.img"), new byte[3]);   // image whose map never got written

        ImageStore again = new ImageStore(dir, 10, 1 << 20);
        assertEquals(List.of("g0", "d1", "g2", "g3"), ids(again));
        assertEquals(0.2f, again.kept("d1").orElseThrow().map().values()[1]);
        assertFalse(Files.exists(dir.resolve("torn.img.tmp")));
        assertFalse(Files.exists(dir.resolve("orphan.img")));

        ImageStore smaller = new ImageStore(dir, 2, 1 << 20);
        assertEquals(List.of("d1", "g3"), ids(smaller));
    }

    @Test
    void zeroCountBudgetKeepsNothingAndUnsafeIdsAreRefused() {
        ImageStore store = new ImageStore(dir, 0, 1 << 20);
        put(store, "a", 0, Verdict.DEFECT, 10);
        assertEquals(0, store.size());
        assertThrows(IllegalArgumentException.class, () -> put(new ImageStore(dir, 5, 1000), "../x", 0, Verdict.GOOD, 1));
    }

    private long dirBytes() {
        try (Stream<Path> files = Files.list(dir)) {
            return files.mapToLong(p -> p.toFile().length()).sum();
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }
}
