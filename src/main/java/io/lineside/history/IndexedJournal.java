package io.lineside.history;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.lineside.journal.Journal;
import io.lineside.journal.JournalEntry;
import io.lineside.journal.JournalPosition;
import io.lineside.journal.JournalRecord;
import io.lineside.journal.RecordCursor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The verdict journal with a {@link HistoryIndex} over it: {@link #catchUp()} indexes the records
 * appended since the last call (the first call scans the whole journal once); a page scans the
 * index and reads just its own records, by position.
 */
public final class IndexedJournal {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Journal journal;
    private final HistoryIndex index;
    /** Position of the last indexed record; guarded by this. */
    private JournalPosition last;

    public IndexedJournal(Journal journal, int maxIndexed) {
        this.journal = journal;
        this.index = new HistoryIndex(maxIndexed);
    }

    /** Filters and cursor of a page; null means "not restricted". */
    public record Filter(Instant since, Instant beforeTime, String beforeId, Integer verdict, String source, int limit) {
    }

    /** Records newest first; {@code next} is the cursor of the following page, or null. */
    public record Page(List<JournalRecord> records, String next) {
    }

    /** The cursor named a record that the index does not hold. */
    public static final class UnknownCursor extends Exception {
        UnknownCursor(String message) {
            super(message);
        }
    }

    /** Indexes the records appended since the last call. */
    public synchronized void catchUp() {
        try (RecordCursor cursor = journal.forward(last)) {
            while (cursor.hasNext()) {
                JournalEntry e = cursor.next();
                if (last != null && e.position().compareTo(last) <= 0) {
                    continue; // forward() starts at the last indexed record itself
                }
                JournalRecord r = e.record();
                index.add(r.time().toEpochMilli(), e.position().file(), e.position().offset(), r.id(),
                        HistoryIndex.verdictCode(r.verdict(), Boolean.TRUE.equals(r.rejected())), r.source());
                last = e.position();
            }
        }
    }

    public long indexedRecords() {
        return index.size();
    }

    public Page page(Filter f) throws UnknownCursor {
        long beforeSeq = Long.MAX_VALUE;
        if (f.beforeId() != null) {
            long seq = index.findSeq(f.beforeId());
            if (seq < 0) {
                throw new UnknownCursor("no inspection with id '" + f.beforeId() + "' in the history index");
            }
            beforeSeq = seq;
        }
        List<HistoryIndex.Hit> hits = index.query(new HistoryIndex.Query(beforeSeq,
                f.beforeTime() == null ? Long.MAX_VALUE : f.beforeTime().toEpochMilli(),
                f.since() == null ? Long.MIN_VALUE : f.since().toEpochMilli(),
                f.verdict() == null ? HistoryIndex.ANY : f.verdict(), f.source(), f.limit() + 1));
        List<JournalRecord> records = new ArrayList<>(Math.min(hits.size(), f.limit()));
        for (int i = 0; i < hits.size() && records.size() < f.limit(); i++) {
            read(hits.get(i)).ifPresent(records::add);
        }
        String next = hits.size() > f.limit() && !records.isEmpty() ? records.get(records.size() - 1).id() : null;
        return new Page(records, next);
    }

    public Optional<JournalRecord> get(String id) {
        long seq = index.findSeq(id);
        if (seq >= 0) {
            List<HistoryIndex.Hit> hit = index.query(new HistoryIndex.Query(seq + 1, Long.MAX_VALUE, Long.MIN_VALUE,
                    HistoryIndex.ANY, null, 1));
            Optional<JournalRecord> r = hit.isEmpty() ? Optional.empty() : read(hit.get(0)).filter(rec -> rec.id().equals(id));
            if (r.isPresent()) {
                return r;
            }
        }
        return journal.findById(id).map(JournalEntry::record); // beyond the index (or a hash collision)
    }

    /** The record whose line starts at the hit's position. */
    private Optional<JournalRecord> read(HistoryIndex.Hit hit) {
        try (FileChannel ch = FileChannel.open(journal.directory().resolve(hit.file()), StandardOpenOption.READ)) {
            ByteArrayOutputStream line = new ByteArrayOutputStream(512);
            ByteBuffer buf = ByteBuffer.allocate(1024);
            long at = hit.offset();
            while (true) {
                buf.clear();
                int n = ch.read(buf, at);
                if (n <= 0) {
                    return Optional.empty(); // no complete line there (retired or truncated)
                }
                byte[] a = buf.array();
                for (int i = 0; i < n; i++) {
                    if (a[i] == '\n') {
                        line.write(a, 0, i);
                        return Optional.of(MAPPER.readValue(line.toByteArray(), JournalRecord.class));
                    }
                }
                line.write(a, 0, n);
                at += n;
            }
        } catch (NoSuchFileException e) {
            return Optional.empty(); // the file was retired by journal retention
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read journal record at " + hit.file() + ":" + hit.offset(), e);
        }
    }
}
