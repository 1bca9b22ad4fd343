package io.lineside.ops;

import io.lineside.model.ActiveModel;
import io.lineside.model.LoadedModel;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** Ready only with a model in service, which implies it passed validation and a warm-up inference. */
@Readiness
@ApplicationScoped
public class ModelReadiness implements HealthCheck {

    @Inject
    ActiveModel activeModel;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("model");
        return activeModel.current()
                .map(m -> describe(response.up(), m))
                .orElseGet(() -> response.down().withData("reason", activeModel.unavailableReason()))
                .build();
    }

    private static HealthCheckResponseBuilder describe(HealthCheckResponseBuilder response, LoadedModel model) {
        return response
                .withData("name", model.bundle().metadata().name())
                .withData("version", model.bundle().metadata().version())
                .withData("sha256", model.bundle().sha256())
                .withData("warmUp", "passed");
    }
}
