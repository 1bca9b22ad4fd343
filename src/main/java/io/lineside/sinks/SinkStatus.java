package io.lineside.sinks;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One sink's state for the {@code sinks} health group. {@code reason} says why it cannot deliver
 * (never a secret: no password, no credentials in URLs).
 */
public record SinkStatus(String sink, boolean up, String reason, Map<String, Object> details) {

    /** The response of a sink that is not configured: UP, nothing to deliver. */
    public static HealthCheckResponse off(String sink, String property) {
        return HealthCheckResponse.named(sink).up().withData("configured", false)
                .withData("enable", "set " + property).build();
    }

    public HealthCheckResponse toResponse() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named(sink).status(up).withData("configured", true);
        if (reason != null) {
            b.withData("reason", reason);
        }
        for (Map.Entry<String, Object> e : details.entrySet()) {
            Object v = e.getValue();
            if (v instanceof Boolean flag) {
                b.withData(e.getKey(), flag);
            } else if (v instanceof Number n) {
                b.withData(e.getKey(), n.longValue());
            } else if (v != null) {
                b.withData(e.getKey(), v.toString());
            }
        }
        return b.build();
    }

    public static Map<String, Object> newDetails() {
        return new LinkedHashMap<>();
    }
}
