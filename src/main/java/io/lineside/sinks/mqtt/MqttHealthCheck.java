package io.lineside.sinks.mqtt;

import io.lineside.sinks.SinkStatus;
import io.smallrye.health.api.HealthGroup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;

/**
 * The MQTT sink at {@code /q/health/group/sinks}: DOWN while it has no broker session, with the
 * reason. Never a readiness check: a broker outage must not stop inspections (the journal keeps them).
 */
@HealthGroup("sinks")
@ApplicationScoped
public class MqttHealthCheck implements HealthCheck {

    @Inject
    MqttSink sink;

    @Override
    public HealthCheckResponse call() {
        return sink.status().map(SinkStatus::toResponse).orElseGet(() -> SinkStatus.off("mqtt", "lineside.mqtt.url"));
    }
}
