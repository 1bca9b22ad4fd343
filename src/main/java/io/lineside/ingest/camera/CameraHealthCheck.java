package io.lineside.ingest.camera;

import io.smallrye.health.api.HealthGroup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

/**
 * The camera's state at {@code /q/health/group/camera}. Deliberately not a readiness check: a
 * camera fault must not take the appliance out of service (the folder and the API still work).
 */
@HealthGroup("camera")
@ApplicationScoped
public class CameraHealthCheck implements HealthCheck {

    @Inject
    CameraSource source;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("camera");
        return source.status().map(s -> describe(response, s))
                .orElseGet(() -> response.up().withData("configured", false)).build();
    }

    private static HealthCheckResponseBuilder describe(HealthCheckResponseBuilder response, CameraStatus s) {
        boolean waitingForFirstTrigger = !s.polling() && s.lastOutcome() == null;
        response.status(s.up() || waitingForFirstTrigger)
                .withData("configured", true)
                .withData("camera", s.camera())
                .withData("url", s.url())
                .withData("mode", s.polling() ? "polling" : "trigger")
                .withData("consecutiveFailures", s.consecutiveFailures())
                .withData("inspected", s.inspected())
                .withData("unchanged", s.unchanged());
        if (s.lastOutcome() == null) {
            response.withData("lastOutcome", s.polling() ? "no snapshot requested yet" : "waiting for the first trigger");
        } else {
            response.withData("lastOutcome", s.lastOutcome().label());
        }
        if (s.lastDetail() != null) {
            response.withData("lastDetail", s.lastDetail());
        }
        if (s.lastAttempt() != null) {
            response.withData("lastAttempt", s.lastAttempt().toString());
        }
        if (s.lastSuccess() != null) {
            response.withData("lastSuccess", s.lastSuccess().toString());
        }
        if (s.nextAttempt() != null) {
            response.withData("nextAttempt", s.nextAttempt().toString());
        }
        return response;
    }
}
