package io.lineside.journal;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** Not ready while the journal cannot make records durable: no verdict may be given without its record. */
@Readiness
@ApplicationScoped
public class JournalHealthCheck implements HealthCheck {

    @Inject
    Journal journal;

    @Override
    public HealthCheckResponse call() {
        String failure = journal.probeRecovery();
        HealthCheckResponseBuilder b = HealthCheckResponse.named("journal")
                .withData("path", journal.directory().toString())
                .withData("appendedSinceStart", journal.appendedSinceOpen());
        if (failure != null) {
            return b.down().withData("reason", "journal not writable: " + failure).build();
        }
        return b.up().build();
    }
}
