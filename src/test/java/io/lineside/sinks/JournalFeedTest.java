package io.lineside.sinks;

import io.lineside.inspection.Inspection;
import io.lineside.inspection.ModelIdentity;
import io.lineside.inspection.Timings;
import io.lineside.inspection.Verdict;
import io.lineside.journal.Journal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shared sink cursor over a real journal: order, out-of-order acks, rewind, persistence, backlog. */
class JournalFeedTest {

    @TempDir
    Path dir;

    private static Inspection outcome(String id) {
        return new Inspection(id, id + ".png", "api", Instant.now(), "0".repeat(64), Verdict.GOOD, 0.01, 0.05,
                new ModelIdentity("m", "1", "f".repeat(64)), new Timings(0, 0, 0, 0, 0, 0));
    }

    private static List<String> ids(List<JournalFeed.Delivery> ds) {
        List<String> out = new ArrayList<>();
        ds.forEach(d -> out.add(d.record().id()));
        return out;
    }

    @Test
    void startsAtTheHeadThenDeliversInOrderAndResumesFromTheSavedCursor() throws Exception {
        try (Journal journal = Journal.open(dir, 1 << 20, 0, Clock.systemUTC())) {
            journal.append(outcome("old-1"));
            journal.append(outcome("old-2"));
            SinkCursor cursor = new SinkCursor(dir, "test");
            JournalFeed feed = JournalFeed.open(journal, cursor);
            assertTrue(Files.exists(cursor.file()), "a first start saves its cursor at once");
            assertEquals(0, feed.backlog(), "history before the first start is not replayed");

            for (int i = 1; i <= 5; i++) {
                journal.append(outcome("n-" + i));
            }
            assertEquals(5, feed.backlog());
            List<JournalFeed.Delivery> got = new ArrayList<>();
            assertFalse(feed.readNew(3, got::add), "a window of 3 stops before the head");
            assertTrue(feed.readNew(10, got::add));
            assertEquals(List.of("n-1", "n-2", "n-3", "n-4", "n-5"), ids(got));
            assertEquals(5, feed.inFlight());

            // Out of order: the cursor moves only over the contiguous acknowledged prefix.
            feed.acknowledged(got.get(1));
            assertEquals(5, feed.backlog());
            feed.acknowledged(got.get(0));
            assertEquals(3, feed.backlog());
            assertEquals("n-2", feed.acknowledgedCursor().id());

            // A lost connection: the unacknowledged ones come again, in order; stale acks are ignored.
            feed.rewind();
            feed.acknowledged(got.get(2));
            assertEquals(3, feed.backlog());
            List<JournalFeed.Delivery> again = new ArrayList<>();
            assertTrue(feed.readNew(10, again::add));
            assertEquals(List.of("n-3", "n-4", "n-5"), ids(again));
            feed.acknowledged(again.get(0));
            feed.saveIfChanged();
        }
        // Restart: the saved cursor is after n-3.
        try (Journal journal = Journal.open(dir, 1 << 20, 0, Clock.systemUTC())) {
            journal.append(outcome("n-6"));
            JournalFeed feed = JournalFeed.open(journal, new SinkCursor(dir, "test"));
            assertEquals(3, feed.backlog());
            List<JournalFeed.Delivery> got = new ArrayList<>();
            assertTrue(feed.readNew(10, got::add));
            assertEquals(List.of("n-4", "n-5", "n-6"), ids(got));
            got.forEach(feed::acknowledged);
            assertEquals(0, feed.backlog());
            assertEquals(3, feed.acknowledgedSinceOpen());
        }
    }

    @Test
    void aCursorFromAnotherJournalRepublishesFromTheStartRatherThanSkip() throws Exception {
        SinkCursor cursor = new SinkCursor(dir, "test");
        cursor.save(new SinkCursor.Saved("journal-2999-01-01-000001.jsonl", 4096, "gone"));
        try (Journal journal = Journal.open(dir, 1 << 20, 0, Clock.systemUTC())) {
            journal.append(outcome("a"));
            journal.append(outcome("b"));
            JournalFeed feed = JournalFeed.open(journal, cursor);
            List<JournalFeed.Delivery> got = new ArrayList<>();
            feed.readNew(10, got::add);
            assertEquals(List.of("a", "b"), ids(got));
        }
    }
}
