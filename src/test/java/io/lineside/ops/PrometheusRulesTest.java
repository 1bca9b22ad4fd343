package io.lineside.ops;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The rule file in k8s/monitoring: valid for Prometheus, behaving as its unit tests say, the
 * PrometheusRule CRD generated from it and current, and built only on metrics that exist.
 */
class PrometheusRulesTest {

    @Test
    void promtoolAcceptsTheRuleFile() {
        Tools.require("promtool");
        String out = Tools.runOk(60, "promtool", "check", "rules", Manifests.RULES.toString());
        assertTrue(out.contains("SUCCESS"), out);
    }

    /** Defect rates, spike/high/drift/backlog/camera/idle/down/not-ready alerts on synthetic series. */
    @Test
    void rulesBehaveAsTheirUnitTestsSay() {
        Tools.require("promtool");
        String out = Tools.runOk(120, "promtool", "test", "rules",
                Manifests.MONITORING.resolve("lineside-rules.test.yml").toString());
        assertTrue(out.contains("SUCCESS"), out);
    }

    @Test
    void prometheusRuleCrdIsGeneratedFromTheRuleFileAndCurrent() {
        String rendered = Tools.runOk(30, "bash", Manifests.MONITORING.resolve("render-prometheusrule.sh").toString(), "--stdout");
        assertTrue(rendered.equals(Manifests.read(Manifests.PROMETHEUS_RULE)),
                "k8s/monitoring/prometheusrule.yaml is stale: run k8s/monitoring/render-prometheusrule.sh");
        // And the same rules after YAML parsing (an indentation slip could change their meaning).
        JsonNode crd = Manifests.yaml(Manifests.PROMETHEUS_RULE);
        assertEquals("PrometheusRule", crd.path("kind").asText());
        assertEquals("monitoring.coreos.com/v1", crd.path("apiVersion").asText());
        assertTrue(Manifests.yaml(Manifests.RULES).get("groups").equals(crd.path("spec").get("groups")),
                "prometheusrule.yaml's spec.groups differ from lineside-rules.yml after parsing");
    }

    @Test
    void publishesTheRecordingRulesAndAlertsOperationsNeeds() {
        Map<String, String> records = new HashMap<>();
        Set<String> alerts = new TreeSet<>();
        for (JsonNode group : Manifests.yaml(Manifests.RULES).get("groups")) {
            for (JsonNode rule : group.get("rules")) {
                if (rule.has("record")) {
                    records.put(rule.get("record").asText(), rule.get("expr").asText());
                } else {
                    alerts.add(rule.get("alert").asText());
                    assertTrue(rule.path("labels").has("severity"), rule.get("alert") + " has no severity");
                    assertTrue(rule.path("annotations").has("summary"), rule.get("alert") + " has no summary");
                }
            }
        }
        assertTrue(records.keySet().containsAll(Set.of("lineside:defect_rate:5m", "lineside:defect_rate:1h",
                "lineside:anomaly_score:p50_5m", "lineside:anomaly_score:p99_5m")), records.keySet().toString());
        assertTrue(records.get("lineside:defect_rate:5m").contains("lineside_inspections_total{verdict=\"defect\"}"));
        assertTrue(records.get("lineside:anomaly_score:p99_5m").contains("lineside_anomaly_score_bucket"));
        assertTrue(alerts.containsAll(Set.of("LinesideDefectRateSpike", "LinesideScoreDrift",
                "LinesideFolderBacklogGrowing", "LinesideCameraDown", "LinesideNoInspections",
                "LinesideApplianceNotReady", "LinesideApplianceDown", "LinesideSinkBacklogGrowing")), alerts.toString());
    }

    @Test
    void everyRuleSelectsOnlyExportedMetricsOrEarlierRecordingRules() {
        Set<String> known = new TreeSet<>();
        for (JsonNode group : Manifests.yaml(Manifests.RULES).get("groups")) {
            for (JsonNode rule : group.get("rules")) {
                for (String series : PromQl.metricNames(rule.get("expr").asText())) {
                    String family = PromQl.family(series, ExportedMetrics.HISTOGRAMS);
                    assertTrue(ExportedMetrics.FAMILIES.contains(family) || known.contains(series)
                                    || ExportedMetrics.FROM_PROMETHEUS.contains(series),
                            "rule " + rule.path("record").asText(rule.path("alert").asText())
                                    + " selects " + series + ", which nothing exports or records");
                }
                if (rule.has("record")) {
                    known.add(rule.get("record").asText());
                }
            }
        }
        assertTrue(known.contains("lineside:defect_rate:5m"));
    }
}
