package io.lineside.sinks.modbus;

import io.lineside.sinks.SinkStatus;
import io.smallrye.health.api.HealthGroup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;

/** The Modbus server at {@code /q/health/group/sinks}: DOWN when it could not listen, with the reason. */
@HealthGroup("sinks")
@ApplicationScoped
public class ModbusHealthCheck implements HealthCheck {

    @Inject
    ModbusSink sink;

    @Override
    public HealthCheckResponse call() {
        return sink.status().map(SinkStatus::toResponse).orElseGet(() -> SinkStatus.off("modbus", "lineside.modbus.port"));
    }
}
