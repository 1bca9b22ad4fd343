package io.lineside.ops;

import java.util.Set;

/**
 * The metric families the appliance exports, as the issues name them (Prometheus names). The
 * static checks hold rules and dashboard to this list; DashboardMetricsIT checks the running app.
 */
final class ExportedMetrics {

    static final Set<String> HISTOGRAMS = Set.of("lineside_anomaly_score", "lineside_inspection_seconds",
            "lineside_scoring_queue_seconds");

    static final Set<String> FAMILIES = Set.of(
            "lineside_inspections_total",
            "lineside_rejected_total",
            "lineside_anomaly_score",
            "lineside_inspection_seconds",
            "lineside_scoring_queue_seconds",
            "lineside_threshold",
            "lineside_model_info",
            "lineside_folder_backlog",
            "lineside_folder_oldest_age_seconds",
            "lineside_camera_fetch_total",
            "lineside_camera_up",
            "lineside_camera_last_success_timestamp_seconds",
            "lineside_model_reload_total",
            "lineside_score_drift_ratio",
            "lineside_sink_published_total",
            "lineside_sink_errors_total",
            "lineside_sink_backlog",
            "lineside_sink_connected");

    /** Series that Prometheus itself or kube-state-metrics provide, not the appliance. */
    static final Set<String> FROM_PROMETHEUS = Set.of("up", "ALERTS", "kube_pod_container_status_ready");

    private ExportedMetrics() {
    }
}
