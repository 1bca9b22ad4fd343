package io.lineside.ingest.folder;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** DOWN, naming the reason, while the watched folder cannot be served (missing, unreadable, disk full, ...). */
@Readiness
@ApplicationScoped
public class FolderHealthCheck implements HealthCheck {

    @Inject
    FolderSource folder;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("folder");
        if (!folder.enabled()) {
            return b.up().withData("enabled", false).build();
        }
        b.withData("path", folder.inbox().toString()).withData("backlog", folder.backlog());
        if (folder.unreadableFiles() > 0) {
            b.withData("unreadableFiles", folder.unreadableFiles());
        }
        String problem = folder.problem();
        return problem == null ? b.up().build() : b.down().withData("reason", problem).build();
    }
}
