package io.lineside.history;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.lineside.inspection.Inspection;
import io.lineside.inspection.Outcome;
import io.lineside.inspection.Rejection;
import io.lineside.inspection.Timings;
import io.lineside.journal.JournalRecord;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.time.Instant;

/**
 * One inspection as the history API, the live stream and the page show it: the journal record's
 * fields (same names) plus whether its image and heatmap are still kept.
 *
 * @param time      when the outcome was committed
 * @param verdict   GOOD or DEFECT; null for a rejection
 * @param rejected  true for an input that could not be inspected (see reason, detail)
 * @param imageKept whether {@code /image} and {@code /heatmap.png} can be fetched now
 */
@RegisterForReflection
@JsonInclude(JsonInclude.Include.NON_NULL)
public record InspectionView(
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
        boolean rejected,
        String reason,
        String detail,
        Timings timingsMs,
        boolean imageKept) {

    public static InspectionView of(Outcome outcome, Instant committedAt, boolean imageKept) {
        if (outcome instanceof Inspection i) {
            return new InspectionView(i.id(), committedAt, i.receivedAt(), i.source(), i.name(), i.imageSha256(),
                    i.model() == null ? null : i.model().sha256(),
                    i.model() == null ? null : i.model().name(),
                    i.model() == null ? null : i.model().version(),
                    i.score(), i.threshold(), i.verdict().name(), false, null, null, i.timings(), imageKept);
        }
        Rejection r = (Rejection) outcome;
        return new InspectionView(r.id(), committedAt, r.receivedAt(), r.source(), r.name(), r.imageSha256(),
                null, null, null, null, null, null, true, r.reason().label(), r.detail(), null, false);
    }

    /** The view of a journal record (history pages, MQTT messages). */
    public static InspectionView of(JournalRecord r, boolean imageKept) {
        boolean rejected = r.wasRejected();
        return new InspectionView(r.id(), r.time(), r.receivedAt(), r.source(), r.name(), r.imageSha256(),
                r.modelSha256(), r.modelName(), r.modelVersion(), r.score(), r.threshold(), r.verdict(),
                rejected, r.reason(), r.detail(), r.timingsMs(), !rejected && imageKept);
    }
}
