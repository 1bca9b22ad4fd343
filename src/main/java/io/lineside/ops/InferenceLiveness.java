package io.lineside.ops;

import io.lineside.model.ActiveModel;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

import java.time.Duration;

/**
 * Live unless an inference has been stuck for minutes: a native call that never returns holds its
 * buffer set forever and starves the pipeline, and only a restart cures that. No model is not a
 * liveness problem (readiness reports it).
 */
@Liveness
@ApplicationScoped
public class InferenceLiveness implements HealthCheck {
    /** Far beyond any real inference (milliseconds to a second), so only a wedged one trips it. */
    static final Duration STUCK_AFTER = Duration.ofMinutes(2);

    @Inject
    ActiveModel activeModel;

    Duration stuckAfter = STUCK_AFTER;

    @Override
    public HealthCheckResponse call() {
        long longest = activeModel.current().map(m -> m.scorer().longestInFlightNanos()).orElse(0L);
        return HealthCheckResponse.named("inference")
                .status(longest < stuckAfter.toNanos())
                .withData("longestInFlightMs", longest / 1_000_000)
                .withData("stuckAfterMs", stuckAfter.toMillis())
                .build();
    }
}
