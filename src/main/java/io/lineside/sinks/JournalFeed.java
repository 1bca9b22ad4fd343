package io.lineside.sinks;

import io.lineside.journal.Journal;
import io.lineside.journal.JournalEntry;
import io.lineside.journal.JournalPosition;
import io.lineside.journal.JournalRecord;
import io.lineside.journal.RecordCursor;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * A sink's view of the journal: records are read forward after the last one the peer acknowledged,
 * handed out as {@link Delivery deliveries}, and acknowledged (possibly out of order); the
 * acknowledged cursor moves over the contiguous acknowledged prefix and is saved by
 * {@link #saveIfChanged()}. {@link #rewind()} (after a lost connection) forgets every unacknowledged
 * delivery so the next read starts again just after the acknowledged cursor: at least once, in order.
 * <p>
 * The feed keeps no queue of its own: the backlog is the journal. Thread-safe.
 */
public final class JournalFeed {

    private static final Logger LOG = Logger.getLogger(JournalFeed.class);

    /** One record handed to the peer; acknowledge it with {@link #acknowledged}. */
    public static final class Delivery {
        private final JournalRecord record;
        private final JournalPosition position;
        private final long ordinal;
        private final int generation;
        private boolean acked;

        Delivery(JournalRecord record, JournalPosition position, long ordinal, int generation) {
            this.record = record;
            this.position = position;
            this.ordinal = ordinal;
            this.generation = generation;
        }

        public JournalRecord record() {
            return record;
        }

        public JournalPosition position() {
            return position;
        }
    }

    private final Journal journal;
    private final SinkCursor cursor;

    // Everything below is guarded by this.
    private SinkCursor.Saved acked;
    private SinkCursor.Saved saved;
    /** Records after the cursor at open, through the acknowledged one. */
    private long ackedOrdinal;
    private long acknowledgedSinceOpen;
    private JournalPosition readAfter;
    private long readOrdinal;
    private int generation;
    private final ArrayDeque<Delivery> inFlight = new ArrayDeque<>();
    /** Committed records after the cursor at open = baseOrdinal + (journal's appendedSinceOpen - baseAppended). */
    private long baseOrdinal;
    private long baseAppended;

    private JournalFeed(Journal journal, SinkCursor cursor) {
        this.journal = journal;
        this.cursor = cursor;
    }

    /**
     * Opens the feed at the saved cursor. A sink without one starts at the journal's head (outcomes
     * committed from now on; the history before it is not replayed) and saves that cursor at once.
     */
    public static JournalFeed open(Journal journal, SinkCursor cursor) throws IOException {
        JournalFeed feed = new JournalFeed(journal, cursor);
        SinkCursor.Saved start = cursor.load().orElse(null);
        if (start == null) {
            start = head(journal);
            cursor.save(start);
        } else if (!matches(journal, start)) {
            LOG.warnf("sink cursor %s names record %s at %s/%d, which this journal does not hold there: "
                    + "republishing from the start of the journal (consumers dedupe by id)", cursor.file(), start.id(),
                    start.file(), start.offset());
            start = SinkCursor.Saved.START;
            cursor.save(start);
        }
        feed.acked = start;
        feed.saved = start;
        feed.readAfter = start.position();
        feed.countBacklog();
        return feed;
    }

    private static SinkCursor.Saved head(Journal journal) {
        try (RecordCursor newest = journal.newestFirst(null)) {
            if (!newest.hasNext()) {
                return SinkCursor.Saved.START;
            }
            JournalEntry e = newest.next();
            return new SinkCursor.Saved(e.position().file(), e.position().offset(), e.record().id());
        }
    }

    /** Whether the journal holds the cursor's record where the cursor says (or retired its whole file). */
    private static boolean matches(Journal journal, SinkCursor.Saved saved) {
        if (saved.file() == null) {
            return true;
        }
        try (RecordCursor c = journal.forward(saved.position())) {
            if (!c.hasNext()) {
                return false; // the journal ends before the cursor: it is not the journal the cursor was made for
            }
            JournalEntry first = c.next();
            if (!first.position().file().equals(saved.file())) {
                return true; // the cursor's file was retired by retention
            }
            return first.position().offset() == saved.offset() && first.record().id().equals(saved.id());
        }
    }

    private synchronized void countBacklog() {
        Journal.Snapshot snapshot = journal.forwardSnapshot(readAfter);
        long n = 0;
        try (RecordCursor c = snapshot.records()) {
            while (c.hasNext()) {
                if (after(c.next().position(), readAfter)) {
                    n++;
                }
            }
        }
        baseOrdinal = n;
        baseAppended = snapshot.appendedSinceOpen();
    }

    private static boolean after(JournalPosition p, JournalPosition readAfter) {
        return readAfter == null || p.compareTo(readAfter) > 0;
    }

    /**
     * Reads up to {@code max} records committed after the last one read and hands each to {@code deliver},
     * in journal order.
     *
     * @return true when every committed record has been handed out
     */
    public boolean readNew(int max, Consumer<Delivery> deliver) {
        JournalPosition from;
        int gen;
        long ordinal;
        synchronized (this) {
            from = readAfter;
            gen = generation;
            ordinal = readOrdinal;
        }
        if (max <= 0) {
            return false;
        }
        int handed = 0;
        Journal.Snapshot snapshot = journal.forwardSnapshot(from);
        try (RecordCursor c = snapshot.records()) {
            while (c.hasNext()) {
                JournalEntry e = c.next();
                if (!after(e.position(), from)) {
                    continue;
                }
                if (handed == max) {
                    return false;
                }
                Delivery d = new Delivery(e.record(), e.position(), ++ordinal, gen);
                synchronized (this) {
                    if (gen != generation) {
                        return false; // rewound meanwhile
                    }
                    inFlight.addLast(d);
                    readAfter = e.position();
                    readOrdinal = d.ordinal;
                }
                handed++;
                deliver.accept(d);
            }
        }
        synchronized (this) {
            if (gen == generation) {
                baseOrdinal = ordinal;
                baseAppended = snapshot.appendedSinceOpen();
            }
        }
        return true;
    }

    /** The peer confirmed {@code d}; stale deliveries (from before a rewind) are ignored. */
    public synchronized void acknowledged(Delivery d) {
        if (d.generation != generation || d.acked) {
            return;
        }
        d.acked = true;
        while (!inFlight.isEmpty() && inFlight.peekFirst().acked) {
            Delivery done = inFlight.pollFirst();
            acked = new SinkCursor.Saved(done.position.file(), done.position.offset(), done.record.id());
            ackedOrdinal = done.ordinal;
            acknowledgedSinceOpen++;
        }
        notifyAll();
    }

    /** Forgets every unacknowledged delivery: the next read starts just after the acknowledged cursor. */
    public synchronized void rewind() {
        generation++;
        inFlight.clear();
        readAfter = acked.position();
        readOrdinal = ackedOrdinal;
        notifyAll();
    }

    /** Deliveries handed out and not yet acknowledged. */
    public synchronized int inFlight() {
        return inFlight.size();
    }

    /** Waits (up to {@code millis}) for an acknowledgement or a rewind. */
    public synchronized void awaitProgress(long millis) throws InterruptedException {
        wait(millis);
    }

    /** Outcomes committed but not yet acknowledged by the peer. */
    public synchronized long backlog() {
        long committed = baseOrdinal + (journal.appendedSinceOpen() - baseAppended);
        return Math.max(0, committed - ackedOrdinal);
    }

    /** Records acknowledged since the feed was opened. */
    public synchronized long acknowledgedSinceOpen() {
        return acknowledgedSinceOpen;
    }

    public synchronized SinkCursor.Saved acknowledgedCursor() {
        return acked;
    }

    /** Saves the acknowledged cursor if it moved since the last save. */
    public void saveIfChanged() throws IOException {
        SinkCursor.Saved now;
        synchronized (this) {
            if (acked.equals(saved)) {
                return;
            }
            now = acked;
        }
        cursor.save(now);
        synchronized (this) {
            saved = now;
        }
    }
}
