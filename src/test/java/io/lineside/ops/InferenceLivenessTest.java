package io.lineside.ops;

import io.lineside.model.ActiveModel;
import io.lineside.model.LoadedModel;
import io.lineside.scoring.ScoringSlot;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

@QuarkusTest
class InferenceLivenessTest {
    @Inject
    ActiveModel activeModel;

    @Test
    void downWhileAnInferenceIsHeldLongerThanTheLimitUpAgainAfter() throws Exception {
        InferenceLiveness check = new InferenceLiveness();
        check.activeModel = activeModel;
        check.stuckAfter = Duration.ofMillis(200);
        assertEquals(HealthCheckResponse.Status.UP, check.call().getStatus());
        LoadedModel model = activeModel.acquire();
        try (ScoringSlot held = model.scorer().acquire()) {
            Thread.sleep(300);
            assertEquals(HealthCheckResponse.Status.DOWN, check.call().getStatus());
        } finally {
            model.release();
        }
        assertEquals(HealthCheckResponse.Status.UP, check.call().getStatus());
    }
}
