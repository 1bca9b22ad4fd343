package io.lineside.ops;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Grafana dashboard is provisionable (datasource chosen by a variable, no instance-specific
 * ids), has the panels operations asked for, and queries only metrics that exist. The running
 * appliance's own /q/metrics is checked against it by DashboardMetricsIT.
 */
class DashboardTest {

    static final JsonNode DASHBOARD = Manifests.json(Manifests.DASHBOARD);

    /** Every PromQL expression of the dashboard, by "panel title / refId" (and templating queries). */
    static Map<String, String> queries() {
        Map<String, String> queries = new TreeMap<>();
        for (JsonNode panel : panels()) {
            for (JsonNode target : panel.path("targets")) {
                queries.put(panel.path("title").asText() + " / " + target.path("refId").asText(),
                        target.path("expr").asText());
            }
        }
        for (JsonNode variable : DASHBOARD.path("templating").path("list")) {
            if ("query".equals(variable.path("type").asText())) {
                JsonNode query = variable.path("query");
                queries.put("variable " + variable.path("name").asText(),
                        query.isObject() ? query.path("query").asText() : query.asText());
            }
        }
        return queries;
    }

    static List<JsonNode> panels() {
        List<JsonNode> panels = new ArrayList<>();
        for (JsonNode panel : DASHBOARD.path("panels")) {
            if (!"row".equals(panel.path("type").asText())) {
                panels.add(panel);
            }
            panel.path("panels").forEach(panels::add);
        }
        return panels;
    }

    @Test
    void isProvisionableWithTheDatasourceAsAVariable() {
        assertTrue(DASHBOARD.path("id").isMissingNode() || DASHBOARD.path("id").isNull(),
                "a provisioned dashboard must not carry a database id");
        assertFalse(DASHBOARD.path("uid").asText().isBlank(), "a stable uid keeps links working");
        assertTrue(DASHBOARD.path("__inputs").isMissingNode(), "__inputs is for manual import, not provisioning");
        JsonNode datasource = null;
        for (JsonNode variable : DASHBOARD.path("templating").path("list")) {
            if ("datasource".equals(variable.path("name").asText())) {
                datasource = variable;
            }
        }
        assertTrue(datasource != null, "no templating variable named datasource");
        assertEquals("datasource", datasource.path("type").asText());
        assertEquals("prometheus", datasource.path("query").asText());
        for (JsonNode panel : panels()) {
            assertEquals("${datasource}", panel.path("datasource").path("uid").asText(),
                    "panel " + panel.path("title") + " does not use the datasource variable");
            for (JsonNode target : panel.path("targets")) {
                assertEquals("${datasource}", target.path("datasource").path("uid").asText(),
                        "a query of panel " + panel.path("title") + " does not use the datasource variable");
            }
        }
    }

    @Test
    void showsWhatOperationsAskedFor() {
        Map<String, String> queries = queries();
        String all = String.join("\n", queries.values());
        List<String> titles = panels().stream().map(p -> p.path("title").asText()).toList();
        assertTrue(all.contains("lineside:defect_rate:5m"), "defect rate");
        assertTrue(all.contains("sum by (source) (rate(lineside_inspections_total"), "throughput by source");
        assertTrue(all.contains("histogram_quantile(0.5, sum by (le, phase) (rate(lineside_inspection_seconds_bucket"), "latency p50 per phase");
        assertTrue(all.contains("histogram_quantile(0.99, sum by (le, phase) (rate(lineside_inspection_seconds_bucket"), "latency p99 per phase");
        assertTrue(queries.get("Score against threshold / D").contains("lineside_threshold")
                && queries.get("Score against threshold / A").contains("lineside_anomaly_score_bucket"), "score vs threshold");
        assertTrue(all.contains("lineside_folder_backlog"), "folder backlog");
        assertTrue(all.contains("lineside_camera_up"), "camera state");
        assertTrue(all.contains("lineside_sink_backlog") && all.contains("lineside_sink_connected"), "line sinks");
        assertTrue(all.contains("lineside_model_info") && all.contains("lineside_threshold"), "model and threshold");
        assertTrue(all.contains("ALERTS{alertstate=\"firing\""), "alerts firing");
        assertEquals(titles.size(), Set.copyOf(titles).size(), "panel titles repeat: " + titles);
    }

    @Test
    void queriesOnlyExportedMetricsAndPublishedRecordingRules() {
        Set<String> recorded = new TreeSet<>();
        Manifests.yaml(Manifests.RULES).get("groups").forEach(group -> group.get("rules").forEach(rule -> {
            if (rule.has("record")) {
                recorded.add(rule.get("record").asText());
            }
        }));
        Set<String> seen = new TreeSet<>();
        queries().forEach((where, expr) -> {
            Set<String> names = PromQl.metricNames(expr);
            assertFalse(names.isEmpty(), where + " queries no metric: " + expr);
            for (String series : names) {
                String family = PromQl.family(series, ExportedMetrics.HISTOGRAMS);
                assertTrue(ExportedMetrics.FAMILIES.contains(family) || recorded.contains(series)
                                || series.equals("ALERTS"),
                        where + " queries " + series + ", which the appliance does not export");
                seen.add(family);
            }
        });
        // The dashboard covers every family the appliance exports.
        assertEquals(ExportedMetrics.FAMILIES, seen.stream().filter(ExportedMetrics.FAMILIES::contains)
                .collect(java.util.stream.Collectors.toCollection(TreeSet::new)));
    }
}
