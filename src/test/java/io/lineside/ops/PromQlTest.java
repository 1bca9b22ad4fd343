package io.lineside.ops;

import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The name extraction the rule and dashboard checks rely on. */
class PromQlTest {

    @Test
    void listsSelectedSeriesButNotFunctionsLabelsKeywordsOrVariables() {
        assertEquals(Set.of("lineside_inspections_total", "lineside:defect_rate:1h"), PromQl.metricNames("""
                (sum without (source, verdict) (rate(lineside_inspections_total{verdict="DEFECT", source=~"a|b"}[5m]))
                  or sum by (job) (increase(lineside_inspections_total[$__rate_interval])) * 0)
                > 3 * (lineside:defect_rate:1h offset 5m) and on (instance) vector(1e-9) > bool 2"""));
        assertEquals(Set.of("lineside_camera_last_success_timestamp_seconds"),
                PromQl.metricNames("time() - lineside_camera_last_success_timestamp_seconds{instance=~\"$instance\"}"));
        assertEquals(Set.of("lineside_model_info"),
                PromQl.metricNames("label_values(lineside_model_info, instance)"));
    }

    @Test
    void histogramSeriesBelongToTheirFamily() {
        Set<String> histograms = Set.of("lineside_anomaly_score");
        assertEquals("lineside_anomaly_score", PromQl.family("lineside_anomaly_score_bucket", histograms));
        assertEquals("lineside_threshold", PromQl.family("lineside_threshold", histograms));
    }
}
