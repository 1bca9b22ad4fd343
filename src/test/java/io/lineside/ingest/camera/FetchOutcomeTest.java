package io.lineside.ingest.camera;

import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FetchOutcomeTest {

    @Test
    void theOpenApiEnumerationIsExactlyTheMetricLabels() {
        List<String> labels = Arrays.stream(FetchOutcome.values()).map(FetchOutcome::label).toList();
        List<String> documented = List.of(FetchOutcome.class.getAnnotation(Schema.class).enumeration());
        assertEquals(labels, documented);
    }

    @Test
    void onlyOkAndUnchangedCountAsUp() {
        List<FetchOutcome> up = Arrays.stream(FetchOutcome.values()).filter(FetchOutcome::success).toList();
        assertEquals(List.of(FetchOutcome.OK, FetchOutcome.UNCHANGED), up);
    }
}
