package io.lineside.inspection;

import java.io.IOException;

/**
 * The commit step: every {@link Outcome} is appended here, durably, before anyone is told of it
 * (API reply, metrics, live stream, archive). An implementation that returns has made the outcome
 * durable; one that throws means nobody may act on the outcome and the source must keep its input.
 * The durable journal (issue 4) replaces {@link UnjournaledCommit}, the default, by being a bean.
 */
public interface VerdictJournal {
    void append(Outcome outcome) throws IOException;
}
