package io.lineside.sinks.opcua;

import io.lineside.sinks.SinkStatus;
import io.smallrye.health.api.HealthGroup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;

/** The OPC UA server at {@code /q/health/group/sinks}: DOWN when it could not start, with the reason. */
@HealthGroup("sinks")
@ApplicationScoped
public class OpcUaHealthCheck implements HealthCheck {

    @Inject
    OpcUaSink sink;

    @Override
    public HealthCheckResponse call() {
        return sink.status().map(SinkStatus::toResponse).orElseGet(() -> SinkStatus.off("opcua", "lineside.opcua.port"));
    }
}
