package io.lineside.journal;

import io.lineside.config.LinesideConfig;
import io.lineside.inspection.Timings;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;

/** Opens the journal from {@code lineside.journal.*} at start-up (repairing a torn tail first) and closes it at shutdown. */
@ApplicationScoped
// The journal's own ObjectMapper writes Timings inside each record; native images need it registered.
@RegisterForReflection(targets = Timings.class)
public class JournalProducer {

    @Produces
    @Singleton
    Journal journal(LinesideConfig config) {
        LinesideConfig.Journal c = config.journal();
        try {
            return Journal.open(c.path(), c.maxFileSize().asLongValue(), c.retentionDays(), Clock.systemUTC());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the verdict journal at " + c.path().toAbsolutePath()
                    + " (lineside.journal.path): " + e.getMessage(), e);
        }
    }

    void close(@Disposes Journal journal) {
        journal.close();
    }

    /** Open at start-up, not at the first verdict: a torn tail is repaired and a bad path reported before traffic. */
    void openAtStartup(@Observes StartupEvent event, Journal journal) {
        journal.headSha256();
    }
}
