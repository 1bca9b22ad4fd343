package io.lineside.journal;

import java.util.Iterator;

/** An open read position in the journal; close it to release its file handle. */
public interface RecordCursor extends Iterator<JournalEntry>, AutoCloseable {
    @Override
    void close();
}
