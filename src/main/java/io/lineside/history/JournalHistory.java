package io.lineside.history;

import io.lineside.journal.Journal;
import io.lineside.journal.JournalRecord;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The inspection history for the API: the journal's index is built by one forward scan in the
 * background at start, then caught up before each query (reading only records appended since),
 * so the inspection path does no extra work.
 */
@ApplicationScoped
public class JournalHistory {
    private static final Logger LOG = Logger.getLogger(JournalHistory.class);
    /** About 26 bytes each: 4 million records is about 100 MB at most. */
    static final int MAX_INDEXED = 4_000_000;

    @Inject
    Journal journal;

    @Inject
    Retention retention;

    private IndexedJournal indexed;
    private final CountDownLatch built = new CountDownLatch(1);

    /** One page of the history, newest first; {@code next} is the cursor for the following page, or null. */
    @RegisterForReflection
    public record Page(List<InspectionView> items, String next) {
    }

    @PostConstruct
    void init() {
        indexed = new IndexedJournal(journal, MAX_INDEXED);
    }

    void onStart(@Observes StartupEvent event) {
        Thread builder = new Thread(() -> {
            long t0 = System.nanoTime();
            try {
                indexed.catchUp();
                LOG.infof("history index built: %d journal records in %.1f s", indexed.indexedRecords(),
                        (System.nanoTime() - t0) / 1e9);
            } catch (RuntimeException e) {
                LOG.errorf(e, "history index could not be built; queries will retry");
            } finally {
                built.countDown();
            }
        }, "lineside-history-index");
        builder.setDaemon(true);
        builder.start();
    }

    private void ready() {
        try {
            if (!built.await(60, TimeUnit.SECONDS)) {
                LOG.warn("history index still building after 60 s; answering from what is indexed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        indexed.catchUp();
    }

    public Page page(IndexedJournal.Filter filter) throws IndexedJournal.UnknownCursor {
        ready();
        IndexedJournal.Page page = indexed.page(filter);
        return new Page(page.records().stream().map(this::view).toList(), page.next());
    }

    public Optional<InspectionView> get(String id) {
        ready();
        return indexed.get(id).map(this::view);
    }

    private InspectionView view(JournalRecord r) {
        return InspectionView.of(r, !r.wasRejected() && retention.isKept(r.id()));
    }
}
