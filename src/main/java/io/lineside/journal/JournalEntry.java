package io.lineside.journal;

/** A record as read back, with where it sits in the journal (for paging and indexing). */
public record JournalEntry(JournalRecord record, JournalPosition position) {
}
