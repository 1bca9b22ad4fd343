package io.lineside.journal;

/**
 * Where a record starts: the journal file's name and the byte offset of its line in that file.
 * Positions order like the journal (file names sort chronologically).
 */
public record JournalPosition(String file, long offset) implements Comparable<JournalPosition> {
    @Override
    public int compareTo(JournalPosition o) {
        int c = file.compareTo(o.file);
        return c != 0 ? c : Long.compare(offset, o.offset);
    }
}
