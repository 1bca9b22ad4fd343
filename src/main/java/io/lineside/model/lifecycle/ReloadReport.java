package io.lineside.model.lifecycle;

import io.quarkus.runtime.annotations.RegisterForReflection;

import java.time.Instant;

/**
 * The last attempt to change the model in service, shown by {@code GET /api/v1/model} as {@code lastReload}.
 *
 * @param outcome   success, invalid, rollback or error (see {@link ReloadOutcome})
 * @param trigger   {@code file} (the watched lineside.model.path changed), {@code api} (PUT) or {@code rollback}
 * @param sha256    sha256 of the candidate model's bytes
 * @param origin    where the candidate came from (file path, {@code api}, ...)
 * @param message   what happened, in words; for a refusal, why
 * @param at        when it ended
 * @param persisted for API-triggered changes: whether the model was also written to lineside.model.path
 *                  (so it survives a restart); null when not applicable
 */
@RegisterForReflection
public record ReloadReport(
        String outcome,
        String trigger,
        String sha256,
        String origin,
        String message,
        Instant at,
        Boolean persisted) {
}
