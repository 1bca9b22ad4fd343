package io.lineside.ops;

import com.fasterxml.jackson.databind.JsonNode;
import io.lineside.model.OnnxModelBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The packaged appliance scraped by a real Prometheus (Debian's) that evaluates
 * k8s/monitoring/lineside-rules.yml: after a known number of good and defective parts, the
 * recording rules' defect rate is exactly what was fed, and the score drift gauge is the median of
 * the good scores over the calibration median. Then every metric a dashboard panel queries must be
 * one the running appliance exports.
 * <p>
 * The model is built here (OnnxModelBuilder: reconstruction = 0.9 x + 0.02, so the std score of an
 * image is 0.1 x its pixel standard deviation), which makes every verdict and score known in
 * advance; the metric pipeline, not the model's quality, is under test.
 * <p>
 * Why the defect rate can be exact with rate(): the appliance registers its counters at zero before
 * the first scrape, and all series of one target share scrape timestamps, so rate()'s extrapolation
 * factor is the same for every series in the ratio and cancels out.
 */
class MetricsEndToEndIT {

    static final int GOOD = 60;
    static final int DEFECT = 15;
    static final double CALIBRATION_MEDIAN = 0.003;
    static final double THRESHOLD = 0.02;
    static final int SIZE = 32;

    static Path dir;
    static AppProcess app;
    static PrometheusServer prometheus;
    static final List<Double> goodScores = new ArrayList<>();

    @BeforeAll
    static void startFeedAndWait() throws Exception {
        Tools.require("prometheus");
        dir = Files.createTempDirectory(Tools.ROOT.resolve("target"), "metrics-e2e-");
        Path model = dir.resolve("model.onnx");
        Files.write(model, OnnxModelBuilder.valid(1, SIZE, SIZE)
                .with("lineside.threshold", String.valueOf(THRESHOLD))
                .with("lineside.calibration.median", String.valueOf(CALIBRATION_MEDIAN))
                .with("lineside.model.name", "metrics-e2e")
                .build());
        Path data = dir.resolve("app");
        app = AppProcess.start(data, Map.of(
                "lineside.model.path", model.toString(),
                "lineside.model.threads", "1",
                "lineside.folder.enabled", "true",
                "lineside.folder.path", data.resolve("inbox").toString(),
                "lineside.folder.archive", data.resolve("archive").toString(),
                "lineside.journal.path", data.resolve("journal").toString(),
                // A camera that is switched off (nothing listens on its port): its metrics are
                // exported, it inspects nothing, so the fed defect rate stays exact.
                "lineside.camera.url", "http://127.0.0.1:" + closedPort() + "/snapshot.jpg",
                "lineside.camera.name", "e2e-cam",
                // A line sink, so the lineside_sink_* families are exported (Modbus: no peer needed).
                "lineside.modbus.port", String.valueOf(closedPort()),
                "lineside.modbus.host", "127.0.0.1"));
        prometheus = PrometheusServer.start(dir.resolve("prometheus"), "127.0.0.1:" + app.port,
                Manifests.RULES);

        // Prometheus must hold a sample of the counters at zero before the first part arrives: the
        // appliance registers them at start-up for every configured source (api, folder).
        awaitPrometheus("first scrape of the zeroed counters", () ->
                prometheus.query("lineside_inspections_total{job=\"lineside\",source=~\"api|folder\",verdict=~\"good|defect\"} == 0").size() == 4);

        // Known parts in a shuffled order, plus inputs that are rejected and must not count as parts.
        List<Boolean> parts = new ArrayList<>();
        parts.addAll(Collections.nCopies(GOOD, false));
        parts.addAll(Collections.nCopies(DEFECT, true));
        Collections.shuffle(parts, new Random(7));
        Random noise = new Random(42);
        int n = 0;
        for (boolean defective : parts) {
            // Good: a checkerboard of two close grey levels (contrast 12..28); defect: black and white.
            int contrast = defective ? 255 : 12 + noise.nextInt(17);
            JsonNode verdict = inspect(checkerboard(contrast), "part-" + n++);
            assertEquals(defective ? "DEFECT" : "GOOD", verdict.path("verdict").asText(), verdict.toString());
            if (!defective) {
                goodScores.add(verdict.path("score").asDouble());
            }
        }
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> rejected = app.post("/api/v1/inspections?name=garbage-" + i,
                    "not an image".getBytes(), "application/octet-stream");
            assertEquals(415, rejected.statusCode(), rejected.body());
        }

        // Wait for a scrape that saw every part, then for two rule evaluations after it.
        awaitPrometheus("a scrape with all " + (GOOD + DEFECT) + " parts", () -> {
            JsonNode all = prometheus.query("sum(lineside_inspections_total{job=\"lineside\"})");
            return all.size() == 1 && all.get(0).path("value").get(1).asDouble() == GOOD + DEFECT;
        });
        double seen = System.currentTimeMillis() / 1000.0;
        awaitPrometheus("rule evaluations after the last scrape", () ->
                prometheus.ruleGroupEvaluations().stream().allMatch(t -> t > seen + 1.5));
    }

    @AfterAll
    static void stop() throws Exception {
        if (prometheus != null) {
            prometheus.close();
        }
        if (app != null) {
            app.close();
        }
    }

    @Test
    void defectRateRecordingRulesEqualWhatWasFed() throws Exception {
        double fed = (double) DEFECT / (GOOD + DEFECT);
        assertEquals(fed, prometheus.single("lineside:defect_rate:5m{job=\"lineside\"}"), 1e-9, "5 min defect rate");
        assertEquals(fed, prometheus.single("lineside:defect_rate:1h{job=\"lineside\"}"), 1e-9, "1 h defect rate");
        assertEquals(fed, prometheus.single("lineside:defect_rate_by_source:5m{job=\"lineside\",source=\"api\"}"), 1e-9,
                "5 min defect rate of the api source");
        // The rejected inputs were counted, as rejections, not as parts.
        assertEquals(3, prometheus.single("sum(lineside_rejected_total{job=\"lineside\",source=\"api\"})"));
        assertEquals(DEFECT, prometheus.single("sum(lineside_inspections_total{job=\"lineside\",verdict=\"defect\"})"));
    }

    @Test
    void scoreDriftIsTheMedianGoodScoreOverTheCalibrationMedian() throws Exception {
        JsonNode model = Manifests.JSON.readTree(app.get("/api/v1/model").body());
        double calibrationMedian = model.path("calibration").path("median").asDouble();
        assertEquals(CALIBRATION_MEDIAN, calibrationMedian, 1e-15);
        double[] scores = goodScores.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double median = (scores[scores.length / 2 - 1] + scores[scores.length / 2]) / 2;   // GOOD = 60, even
        double expected = median / calibrationMedian;
        double drift = prometheus.single("lineside_score_drift_ratio{job=\"lineside\"}");
        assertEquals(expected, drift, 1e-9 * expected);
        assertTrue(drift > 1, "these good parts score above the calibration median: " + drift);
    }

    @Test
    void scoreQuantileRulesSitOnTheGoodScores() throws Exception {
        // 80 % of the parts are good, all scoring well under the threshold: so is the median.
        double p50 = prometheus.single("lineside:anomaly_score:p50_5m{job=\"lineside\"}");
        assertTrue(p50 > 0 && p50 < THRESHOLD, "p50 " + p50);
        double p99 = prometheus.single("lineside:anomaly_score:p99_5m{job=\"lineside\"}");
        assertTrue(p99 > THRESHOLD, "p99 " + p99 + " should lie among the defects");
    }

    @Test
    void noLinesideAlertFiresOnAHealthyAppliance() throws Exception {
        assertEquals(0, prometheus.query("ALERTS{alertname=~\"LinesideApplianceNotReady|LinesideApplianceDown\"}").size());
    }

    /**
     * Families a dashboard may query before their feature exports them. Empty: every feature has
     * landed; the test insists anything listed here is absent, so a stale entry fails it.
     */
    static final Set<String> NOT_YET_EXPORTED = Set.of();

    /** A local port nothing listens on (bound, then released). */
    static int closedPort() throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Every series a dashboard panel queries, directly or through a recording rule, is in /q/metrics. */
    @Test
    void everyMetricTheDashboardQueriesIsExported() throws Exception {
        Set<String> exported = exportedFamilies();
        Map<String, String> recorded = new java.util.HashMap<>();
        Manifests.yaml(Manifests.RULES).get("groups").forEach(g -> g.get("rules").forEach(r -> {
            if (r.has("record")) {
                recorded.put(r.get("record").asText(), r.get("expr").asText());
            }
        }));
        Set<String> missing = new TreeSet<>();
        DashboardTest.queries().forEach((where, expr) -> {
            for (String series : PromQl.metricNames(expr)) {
                Set<String> underlying = recorded.containsKey(series) ? PromQl.metricNames(recorded.get(series)) : Set.of(series);
                for (String name : underlying) {
                    String family = PromQl.family(name, ExportedMetrics.HISTOGRAMS);
                    if (!name.equals("ALERTS") && !exported.contains(family) && !NOT_YET_EXPORTED.contains(family)) {
                        missing.add(name + " (" + where + ")");
                    }
                }
            }
        });
        assertTrue(missing.isEmpty(), "queried by the dashboard but not exported by the appliance: " + missing);
        Set<String> landed = new TreeSet<>(NOT_YET_EXPORTED);
        landed.retainAll(exported);
        assertTrue(landed.isEmpty(), "now exported, remove from NOT_YET_EXPORTED and enable their source here: " + landed);
    }

    /** Metric families in the appliance's own /q/metrics (the text format's sample names). */
    static Set<String> exportedFamilies() throws Exception {
        HttpResponse<String> metrics = app.get("/q/metrics");
        assertEquals(200, metrics.statusCode());
        Set<String> families = new TreeSet<>();
        for (String line : metrics.body().split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String name = line.split("[{ ]", 2)[0];
            families.add(PromQl.family(name, ExportedMetrics.HISTOGRAMS));
        }
        return families;
    }

    private static JsonNode inspect(byte[] png, String name) throws IOException, InterruptedException {
        HttpResponse<String> response = app.post("/api/v1/inspections?name=" + name, png, "image/png");
        if (response.statusCode() != 200) {
            fail("inspection of " + name + " -> " + response.statusCode() + " " + response.body());
        }
        return Manifests.JSON.readTree(response.body());
    }

    /** A SIZE x SIZE 8-bit grey PNG alternating two levels 128 +- contrast/2 (0 and 255 for 255). */
    static byte[] checkerboard(int contrast) throws IOException {
        BufferedImage image = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_BYTE_GRAY);
        WritableRaster raster = image.getRaster();
        int low = contrast >= 255 ? 0 : 128 - contrast / 2;
        int high = Math.min(255, low + contrast);
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                raster.setSample(x, y, 0, (x + y) % 2 == 0 ? low : high);
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(image, "png", png);
        return png.toByteArray();
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    private static void awaitPrometheus(String what, Condition condition) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (condition.holds()) {
                return;
            }
            Thread.sleep(250);
        }
        fail("timed out waiting for " + what + "\nPrometheus log:\n" + prometheus.log() + "\napp log:\n" + app.log());
    }

}
