package io.lineside.journal;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.lineside.inspection.Inspection;
import io.lineside.inspection.Outcome;
import io.lineside.inspection.Rejection;
import io.lineside.inspection.Timings;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.time.Instant;

/**
 * One line of the verdict journal. Exactly one of {@code verdict} and {@code rejected} is set.
 * {@code prevSha256} is the sha256 (hex) of the previous record's line bytes (without its newline),
 * or {@link Journal#GENESIS_SHA256} for the very first record; it chains every record to the one before.
 *
 * @param time       when the record was committed (non-decreasing along the journal)
 * @param receivedAt when the source got the image
 * @param modelSha256 the model that produced the verdict; null for rejections (no model was run)
 * @param reason     a {@link io.lineside.inspection.RejectReason#label()}, for rejections
 */
@RegisterForReflection
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"id", "time", "receivedAt", "source", "name", "imageSha256", "modelSha256", "modelName",
        "modelVersion", "score", "threshold", "verdict", "rejected", "reason", "detail", "timingsMs", "prevSha256"})
public record JournalRecord(
        String id,
        Instant time,
        Instant receivedAt,
        String source,
        String name,
        String imageSha256,
        String modelSha256,
        String modelName,
        String modelVersion,
        Double score,
        Double threshold,
        String verdict,
        Boolean rejected,
        String reason,
        String detail,
        Timings timingsMs,
        String prevSha256) {

    public boolean wasRejected() {
        return Boolean.TRUE.equals(rejected);
    }

    /** The record for an outcome committed at {@code time}, linked to {@code prevSha256}. */
    public static JournalRecord of(Outcome outcome, Instant time, String prevSha256) {
        if (outcome instanceof Inspection i) {
            return new JournalRecord(i.id(), time, i.receivedAt(), i.source(), i.name(), i.imageSha256(),
                    i.model() == null ? null : i.model().sha256(),
                    i.model() == null ? null : i.model().name(),
                    i.model() == null ? null : i.model().version(),
                    i.score(), i.threshold(), i.verdict().name(), null, null, null, i.timings(), prevSha256);
        }
        Rejection r = (Rejection) outcome;
        return new JournalRecord(r.id(), time, r.receivedAt(), r.source(), r.name(), r.imageSha256(),
                null, null, null, null, null, null, Boolean.TRUE, r.reason().label(), r.detail(), null, prevSha256);
    }
}
