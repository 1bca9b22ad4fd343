package io.lineside.history;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HistoryIndexTest {
    private static final long T0 = 1_800_000_000_000L;

    /** Record i: every 50th a defect, every 97th rejected, source cycles over 3 names, 2 journal files. */
    private static HistoryIndex filled(int n, int max) {
        HistoryIndex index = new HistoryIndex(max);
        for (int i = 0; i < n; i++) {
            int verdict = i % 97 == 0 ? HistoryIndex.REJECTED : i % 50 == 0 ? HistoryIndex.DEFECT : HistoryIndex.GOOD;
            index.add(T0 + i * 50L, i < n / 2 ? "a.jsonl" : "b.jsonl", i * 300L, "id-" + i, verdict, "src" + (i % 3));
        }
        return index;
    }

    private static HistoryIndex.Query q(long beforeSeq, long since, int verdict, String source, int limit) {
        return new HistoryIndex.Query(beforeSeq, Long.MAX_VALUE, since, verdict, source, limit);
    }

    @Test
    void newestFirstPagedWithFilters() {
        HistoryIndex index = filled(1000, 100_000);
        List<HistoryIndex.Hit> page = index.query(q(Long.MAX_VALUE, Long.MIN_VALUE, HistoryIndex.ANY, null, 5));
        assertEquals(List.of(999L, 998L, 997L, 996L, 995L), page.stream().map(HistoryIndex.Hit::seq).toList());
        assertEquals("b.jsonl", page.get(0).file());
        assertEquals(999 * 300L, page.get(0).offset());

        List<HistoryIndex.Hit> next = index.query(q(995, Long.MIN_VALUE, HistoryIndex.ANY, null, 2));
        assertEquals(List.of(994L, 993L), next.stream().map(HistoryIndex.Hit::seq).toList());

        List<HistoryIndex.Hit> defects = index.query(q(Long.MAX_VALUE, Long.MIN_VALUE, HistoryIndex.DEFECT, null, 3));
        assertEquals(List.of(950L, 900L, 850L), defects.stream().map(HistoryIndex.Hit::seq).toList());

        List<HistoryIndex.Hit> rejected = index.query(q(Long.MAX_VALUE, Long.MIN_VALUE, HistoryIndex.REJECTED, "src1", 10));
        // i % 97 == 0 and i % 3 == 1: 97, 388, 679, 970
        assertEquals(List.of(970L, 679L, 388L, 97L), rejected.stream().map(HistoryIndex.Hit::seq).toList());

        long since = T0 + 990 * 50L;
        assertEquals(10, index.query(q(Long.MAX_VALUE, since, HistoryIndex.ANY, null, 100)).size());
        assertTrue(index.query(q(Long.MAX_VALUE, Long.MIN_VALUE, HistoryIndex.ANY, "nobody", 10)).isEmpty());
    }

    @Test
    void idsAreFoundForCursorsAndTheOldestChunksAreDroppedPastTheCap() {
        HistoryIndex index = filled(3 * HistoryIndex.CHUNK + 10, HistoryIndex.CHUNK);
        assertEquals(3L * HistoryIndex.CHUNK + 9, index.findSeq("id-" + (3 * HistoryIndex.CHUNK + 9)));
        assertTrue(index.size() <= 2L * HistoryIndex.CHUNK + 10, "capped: " + index.size());
        assertEquals(-1, index.findSeq("id-5"), "dropped with the oldest chunk");
        List<HistoryIndex.Hit> all = index.query(q(Long.MAX_VALUE, Long.MIN_VALUE, HistoryIndex.ANY, null, Integer.MAX_VALUE));
        assertEquals(index.size(), all.size());
        assertEquals(index.firstSeq(), all.get(all.size() - 1).seq());
    }

    /**
     * A million records: the figures quoted in the README come from this test's output
     * (it asserts the answers; the timings are printed, not asserted).
     */
    @Test
    void millionRecords() {
        long t0 = System.nanoTime();
        HistoryIndex index = filled(1_000_000, 4_000_000);
        long built = System.nanoTime();
        List<HistoryIndex.Hit> newest = index.query(q(Long.MAX_VALUE, Long.MIN_VALUE, HistoryIndex.ANY, null, 50));
        long a = System.nanoTime();
        List<HistoryIndex.Hit> defects = index.query(q(Long.MAX_VALUE, Long.MIN_VALUE, HistoryIndex.DEFECT, "src2", 50));
        long b = System.nanoTime();
        long cursor = index.findSeq("id-1234");
        List<HistoryIndex.Hit> deep = index.query(q(cursor, Long.MIN_VALUE, HistoryIndex.ANY, null, 50));
        long c = System.nanoTime();
        List<HistoryIndex.Hit> none = index.query(q(Long.MAX_VALUE, Long.MIN_VALUE, HistoryIndex.DEFECT, "src0", 50)
        ).stream().filter(h -> false).toList();
        List<HistoryIndex.Hit> scanAll = index.query(q(Long.MAX_VALUE, Long.MIN_VALUE, 3, null, 50)); // matches nothing
        long d = System.nanoTime();
        assertEquals(999_999L, newest.get(0).seq());
        assertEquals(50, defects.size());
        assertTrue(defects.stream().allMatch(h -> h.seq() % 50 == 0 && h.seq() % 3 == 2 && h.seq() % 97 != 0));
        assertEquals(1233L, deep.get(0).seq());
        assertTrue(none.isEmpty() && scanAll.isEmpty());
        System.out.printf("history index, 1M records: build %.0f ms; newest page %.3f ms; DEFECT+source page %.3f ms;"
                        + " cursor lookup + deep page %.3f ms; full scan without a match %.3f ms%n",
                (built - t0) / 1e6, (a - built) / 1e6, (b - a) / 1e6, (c - b) / 1e6, (d - c) / 1e6);
    }
}
