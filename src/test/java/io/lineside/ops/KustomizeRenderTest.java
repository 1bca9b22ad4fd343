package io.lineside.ops;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * `kubectl kustomize k8s/overlays/edge` renders, and what it renders keeps the promises of
 * k8s/README.md: one hardened appliance per edge node, probes, sized resources, persistent
 * journal, the model from a volume, monitoring wired up.
 */
class KustomizeRenderTest {

    static List<JsonNode> edge;
    static JsonNode daemonSet;
    static JsonNode container;

    @BeforeAll
    static void render() {
        Tools.require("kubectl");
        edge = Manifests.documents(Tools.runOk(120, "kubectl", "kustomize", "k8s/overlays/edge"));
        daemonSet = one("DaemonSet", "lineside");
        JsonNode containers = daemonSet.at("/spec/template/spec/containers");
        assertEquals(1, containers.size());
        container = containers.get(0);
    }

    static JsonNode one(String kind, String name) {
        return find(kind, name).orElseGet(() -> fail("no " + kind + " " + name + " rendered"));
    }

    static Optional<JsonNode> find(String kind, String name) {
        return edge.stream()
                .filter(d -> kind.equals(d.path("kind").asText()) && name.equals(d.at("/metadata/name").asText()))
                .findFirst();
    }

    @Test
    void baseRendersOnItsOwnToo() {
        List<JsonNode> base = Manifests.documents(Tools.runOk(120, "kubectl", "kustomize", "k8s/base"));
        assertTrue(base.stream().anyMatch(d -> "DaemonSet".equals(d.path("kind").asText())));
    }

    @Test
    void rendersEveryPieceIntoTheLinesideNamespace() {
        Set<String> kinds = new TreeSet<>();
        for (JsonNode document : edge) {
            String kind = document.path("kind").asText();
            kinds.add(kind);
            if (!kind.equals("Namespace")) {
                assertEquals("lineside", document.at("/metadata/namespace").asText(), kind + " outside the namespace");
            }
        }
        assertEquals(new TreeSet<>(Set.of("Namespace", "ServiceAccount", "DaemonSet", "Service", "ServiceMonitor",
                "PrometheusRule", "ConfigMap")), kinds);
    }

    @Test
    void runsOnePerLabelledEdgeNodeAndNeverTwoOnANode() {
        JsonNode pod = daemonSet.at("/spec/template/spec");
        assertEquals("true", pod.at("/nodeSelector/lineside.io~1edge").asText());
        boolean tolerates = false;
        for (JsonNode toleration : pod.path("tolerations")) {
            tolerates |= "lineside.io/edge".equals(toleration.path("key").asText())
                    && "NoSchedule".equals(toleration.path("effect").asText());
        }
        assertTrue(tolerates, "no toleration for the lineside.io/edge taint");
        assertEquals(0, daemonSet.at("/spec/updateStrategy/rollingUpdate/maxSurge").asInt(-1),
                "a surge would run two appliances on one folder and journal");
    }

    @Test
    void runsNonRootReadOnlyWithoutPrivileges() {
        JsonNode podSecurity = daemonSet.at("/spec/template/spec/securityContext");
        assertTrue(podSecurity.path("runAsNonRoot").asBoolean());
        assertTrue(podSecurity.path("runAsUser").asInt(0) > 0);
        assertEquals("RuntimeDefault", podSecurity.at("/seccompProfile/type").asText());
        JsonNode security = container.path("securityContext");
        assertFalse(security.path("allowPrivilegeEscalation").asBoolean(true));
        assertTrue(security.path("readOnlyRootFilesystem").asBoolean());
        assertFalse(security.path("privileged").asBoolean(true));
        assertEquals(List.of("ALL"), textList(security.at("/capabilities/drop")));
        assertTrue(security.at("/capabilities/add").isMissingNode(), "no capability may be added");
        assertFalse(daemonSet.at("/spec/template/spec/automountServiceAccountToken").asBoolean(true));
        assertFalse(daemonSet.at("/spec/template/spec/hostNetwork").asBoolean(false));
        // With a read-only root, /tmp (ONNX Runtime unpacks its libraries there) is a bounded emptyDir.
        JsonNode tmp = volumeFor("/tmp");
        assertTrue(tmp.has("emptyDir"), "/tmp is not an emptyDir");
        assertFalse(tmp.at("/emptyDir/sizeLimit").asText().isEmpty(), "/tmp has no size limit");
    }

    @Test
    void probesUseQuarkusHealthEndpoints() {
        int port = container.at("/ports/0/containerPort").asInt();
        assertEquals(8080, port);
        assertEquals("http", container.at("/ports/0/name").asText());
        Map<String, String> probes = Map.of("startupProbe", "/q/health/started",
                "livenessProbe", "/q/health/live", "readinessProbe", "/q/health/ready");
        probes.forEach((probe, path) -> {
            JsonNode get = container.path(probe).path("httpGet");
            assertEquals(path, get.path("path").asText(), probe);
            assertEquals("http", get.path("port").asText(), probe);
        });
        // Startup may take long (model load + warm-up); liveness must not kill a slow start.
        JsonNode startup = container.path("startupProbe");
        assertTrue(startup.path("periodSeconds").asInt() * startup.path("failureThreshold").asInt() >= 120);
    }

    @Test
    void requestsAndLimitsAreSet() {
        JsonNode resources = container.path("resources");
        for (String kind : List.of("requests", "limits")) {
            for (String resource : List.of("cpu", "memory")) {
                assertFalse(resources.path(kind).path(resource).asText().isEmpty(), kind + "." + resource + " missing");
            }
        }
        long memoryRequest = bytes(resources.at("/requests/memory").asText());
        long memoryLimit = bytes(resources.at("/limits/memory").asText());
        assertTrue(memoryRequest <= memoryLimit);
        // Above the ~300 MiB the JVM build needs with the default model.
        assertTrue(memoryLimit >= 512L << 20, "memory limit below the JVM build's footprint");
    }

    @Test
    void stateIsPersistentAndTheModelComesFromAVolume() {
        Map<String, String> env = new HashMap<>();
        container.path("env").forEach(e -> env.put(e.path("name").asText(), e.path("value").asText()));
        for (String variable : List.of("LINESIDE_FOLDER_PATH", "LINESIDE_FOLDER_ARCHIVE", "LINESIDE_JOURNAL_PATH")) {
            JsonNode volume = volumeFor(env.get(variable));
            assertTrue(volume.has("hostPath") || volume.has("persistentVolumeClaim"),
                    variable + " is not on persistent storage: " + volume);
        }
        // Claim-by-rename and archive-by-move need the folder and the archive on one mount.
        assertEquals(mountFor(env.get("LINESIDE_FOLDER_PATH")), mountFor(env.get("LINESIDE_FOLDER_ARCHIVE")));
        String model = env.get("LINESIDE_MODEL_PATH");
        assertNotNull(model, "LINESIDE_MODEL_PATH not set");
        JsonNode modelVolume = volumeFor(model);
        assertFalse(modelVolume.has("emptyDir") || modelVolume.has("configMap"),
                "the model must come from a volume that holds big files: " + modelVolume);
        assertTrue(env.containsKey("LINESIDE_MODEL_THREADS"), "ONNX Runtime threads follow the CPU limit");
    }

    @Test
    void prometheusScrapesEveryApplianceAndGrafanaFindsTheDashboard() {
        JsonNode service = one("Service", "lineside");
        JsonNode podLabels = daemonSet.at("/spec/template/metadata/labels");
        service.at("/spec/selector").fields().forEachRemaining(
                e -> assertEquals(e.getValue().asText(), podLabels.path(e.getKey()).asText(), "service selector " + e.getKey()));
        JsonNode monitor = one("ServiceMonitor", "lineside");
        JsonNode serviceLabels = service.at("/metadata/labels");
        monitor.at("/spec/selector/matchLabels").fields().forEachRemaining(
                e -> assertEquals(e.getValue().asText(), serviceLabels.path(e.getKey()).asText(), "monitor selector " + e.getKey()));
        assertEquals("http", monitor.at("/spec/endpoints/0/port").asText());
        assertEquals("/q/metrics", monitor.at("/spec/endpoints/0/path").asText());
        assertEquals("http", service.at("/spec/ports/0/name").asText());
        // Exactly one Service selects the monitor's labels, or the pods would be scraped twice.
        long monitored = edge.stream().filter(d -> "Service".equals(d.path("kind").asText()))
                .filter(d -> {
                    JsonNode labels = d.at("/metadata/labels");
                    List<Boolean> matches = new ArrayList<>();
                    monitor.at("/spec/selector/matchLabels").fields().forEachRemaining(
                            e -> matches.add(e.getValue().asText().equals(labels.path(e.getKey()).asText())));
                    return !matches.contains(false);
                }).count();
        assertEquals(1, monitored);

        JsonNode dashboard = one("ConfigMap", "lineside-grafana-dashboard");
        assertEquals("1", dashboard.at("/metadata/labels/grafana_dashboard").asText());
        assertEquals(Manifests.read(Manifests.DASHBOARD), dashboard.at("/data/lineside.json").asText());

        JsonNode rule = one("PrometheusRule", "lineside");
        assertTrue(Manifests.yaml(Manifests.RULES).get("groups").equals(rule.at("/spec/groups")),
                "the rendered PrometheusRule's groups differ from k8s/monitoring/lineside-rules.yml");
    }

    private static JsonNode volumeFor(String path) {
        String volumeName = mountFor(path).path("name").asText();
        for (JsonNode volume : daemonSet.at("/spec/template/spec/volumes")) {
            if (volumeName.equals(volume.path("name").asText())) {
                return volume;
            }
        }
        return fail("no volume " + volumeName);
    }

    /** The volume mount that holds a path (the longest mountPath prefix). */
    private static JsonNode mountFor(String path) {
        assertNotNull(path);
        JsonNode best = null;
        for (JsonNode mount : container.path("volumeMounts")) {
            String mountPath = mount.path("mountPath").asText();
            if ((path.equals(mountPath) || path.startsWith(mountPath + "/"))
                    && (best == null || mountPath.length() > best.path("mountPath").asText().length())) {
                best = mount;
            }
        }
        if (best == null) {
            fail(path + " is on the container's read-only root file system, not on a volume");
        }
        return best;
    }

    private static List<String> textList(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asText()));
        return values;
    }

    private static long bytes(String quantity) {
        Map<String, Long> units = Map.of("Ki", 1L << 10, "Mi", 1L << 20, "Gi", 1L << 30);
        for (var unit : units.entrySet()) {
            if (quantity.endsWith(unit.getKey())) {
                return Long.parseLong(quantity.substring(0, quantity.length() - 2)) * unit.getValue();
            }
        }
        return Long.parseLong(quantity);
    }
}
