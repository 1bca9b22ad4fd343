package io.lineside.api;

import io.lineside.inspection.Inspection;
import io.lineside.inspection.ModelIdentity;
import io.lineside.inspection.Timings;

/** The answer to one inspected upload. */
public record InspectionResponse(
        String id,
        String name,
        String source,
        String verdict,
        double score,
        double threshold,
        ModelIdentity model,
        String receivedAt,
        Timings timingsMs) {

    static InspectionResponse of(Inspection inspection) {
        return new InspectionResponse(inspection.id(), inspection.name(), inspection.source(),
                inspection.verdict().name(), inspection.score(), inspection.threshold(), inspection.model(),
                inspection.receivedAt().toString(), inspection.timings());
    }
}
