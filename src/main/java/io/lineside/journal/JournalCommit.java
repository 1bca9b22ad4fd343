package io.lineside.journal;

import io.lineside.inspection.Outcome;
import io.lineside.inspection.VerdictJournal;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** The pipeline's commit step: an outcome exists for others only once its journal record is on disk. */
@ApplicationScoped
public class JournalCommit implements VerdictJournal {

    @Inject
    Journal journal;

    @Override
    public void append(Outcome outcome) {
        journal.append(outcome);
    }
}
