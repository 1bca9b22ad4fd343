package io.lineside.sinks.opcua;

import io.lineside.sinks.FakeCamera;
import io.lineside.sinks.SinkScene;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.milo.opcua.sdk.client.OpcUaClient;
import org.eclipse.milo.opcua.sdk.client.subscriptions.ManagedDataItem;
import org.eclipse.milo.opcua.sdk.client.subscriptions.ManagedSubscription;
import org.eclipse.milo.opcua.stack.core.Identifiers;
import org.eclipse.milo.opcua.stack.core.types.builtin.DataValue;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.types.enumerated.TimestampsToReturn;
import org.eclipse.milo.opcua.stack.core.types.structured.CallMethodRequest;
import org.eclipse.milo.opcua.stack.core.types.structured.CallMethodResult;
import org.eclipse.milo.opcua.stack.core.types.structured.ReferenceDescription;
import org.eclipse.milo.opcua.stack.core.types.builtin.Variant;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateBuilder;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The OPC UA server with Milo's client: browse, read, subscribe, users only, the trigger method. */
@QuarkusTest
@QuarkusTestResource(value = OpcUaResource.class, restrictToAnnotatedClass = true)
@Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class OpcUaSinkTest {

    private static Object read(OpcUaClient client, String path) throws Exception {
        DataValue v = client.readValue(0, TimestampsToReturn.Both, Plc.node(client, path)).get(10, TimeUnit.SECONDS);
        assertTrue(v.getStatusCode().isGood(), path + ": " + v.getStatusCode());
        return v.getValue().getValue();
    }

    private static Set<String> children(OpcUaClient client, NodeId node) throws Exception {
        return client.getAddressSpace().browse(node).stream()
                .map(ReferenceDescription::getBrowseName).map(q -> q.getName()).collect(Collectors.toSet());
    }

    private static String inspect(byte[] image) {
        return given().contentType("image/png").body(image).post("/api/v1/inspections").header("X-Inspection-Id");
    }

    private static double metricSum(String family, String label) {
        String body = given().get("/q/metrics").asString();
        Matcher m = Pattern.compile("(?m)^" + family + "\\{[^}]*" + Pattern.quote(label) + "[^}]*\\} ([0-9.eE+-]+)$")
                .matcher(body);
        double sum = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
        }
        return sum;
    }

    @Test
    void theNodeTreeIsBrowsableFromObjects() throws Exception {
        OpcUaClient client = Plc.user(OpcUaResource.USER, OpcUaResource.PASSWORD);
        try {
            assertTrue(children(client, Identifiers.ObjectsFolder).contains("Lineside"));
            assertEquals(Set.of("LastInspection", "Counters", "Ready", "Model", "TriggerCamera"),
                    children(client, Plc.node(client, "Lineside")));
            assertEquals(Set.of("Id", "Time", "Source", "Name", "Verdict", "Score", "Threshold", "Defect"),
                    children(client, Plc.node(client, "Lineside/LastInspection")));
            assertEquals(Set.of("Good", "Defect", "Rejected"), children(client, Plc.node(client, "Lineside/Counters")));
            assertEquals(Set.of("Name", "Version", "Sha256"), children(client, Plc.node(client, "Lineside/Model")));
            assertEquals(true, read(client, "Lineside/Ready"));
            assertEquals("surface", read(client, "Lineside/Model/Name"));
            assertEquals("7", read(client, "Lineside/Model/Version"));
            given().get("/q/health/group/sinks").then().statusCode(200)
                    .body("checks.find { it.name == 'opcua' }.status", equalTo("UP"));
        } finally {
            client.disconnect().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aDefectIsReadAndASubscriptionSeesTheNextOutcome() throws Exception {
        OpcUaClient client = Plc.user(OpcUaResource.USER, OpcUaResource.PASSWORD);
        try {
            String defectId = inspect(SinkScene.defect());
            assertEquals(defectId, read(client, "Lineside/LastInspection/Id"));
            assertEquals("DEFECT", read(client, "Lineside/LastInspection/Verdict"));
            assertEquals(true, read(client, "Lineside/LastInspection/Defect"));
            assertEquals("api", read(client, "Lineside/LastInspection/Source"));
            assertTrue((Double) read(client, "Lineside/LastInspection/Score") > SinkScene.THRESHOLD);
            assertEquals(SinkScene.THRESHOLD, (Double) read(client, "Lineside/LastInspection/Threshold"), 1e-12);
            assertEquals(metricSum("lineside_inspections_total", "verdict=\"defect\""),
                    ((Number) read(client, "Lineside/Counters/Defect")).doubleValue());
            assertEquals(metricSum("lineside_inspections_total", "verdict=\"good\""),
                    ((Number) read(client, "Lineside/Counters/Good")).doubleValue());

            ManagedSubscription subscription = ManagedSubscription.create(client, 50.0);
            ManagedDataItem item = subscription.createDataItem(Plc.node(client, "Lineside/LastInspection/Id"));
            List<Object> seen = new CopyOnWriteArrayList<>();
            item.addDataValueListener(v -> seen.add(v.getValue().getValue()));
            String goodId = inspect(SinkScene.good());
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!seen.contains(goodId) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(seen.contains(goodId), "the subscription saw " + seen);
            assertEquals(false, read(client, "Lineside/LastInspection/Defect"));
            subscription.delete();
        } finally {
            client.disconnect().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void anonymousWrongPasswordAndUntrustedCertificatesAreRefused() throws Exception {
        assertThrows(Exception.class, Plc::anonymous, "anonymous is refused unless allowed");
        assertThrows(Exception.class, () -> Plc.user(OpcUaResource.USER, "not-it"), "wrong password");
        KeyPair stranger = SelfSignedCertificateGenerator.generateRsaKeyPair(2048);
        X509Certificate strangerCert = new SelfSignedCertificateBuilder(stranger).setCommonName("stranger")
                .setApplicationUri(Plc.APPLICATION_URI).build();
        assertThrows(Exception.class, () -> Plc.connect(
                new org.eclipse.milo.opcua.sdk.client.api.identity.UsernameProvider(OpcUaResource.USER,
                        OpcUaResource.PASSWORD), stranger, strangerCert), "an untrusted client certificate");
        try (var rejected = java.nio.file.Files.list(OpcUaResource.pki.resolve("rejected"))) {
            assertTrue(rejected.anyMatch(f -> f.getFileName().toString().endsWith(".der")),
                    "the refused certificate is filed for an operator to trust");
        }
        String health = given().get("/q/health/group/sinks").asString();
        assertTrue(!health.contains(OpcUaResource.PASSWORD) && !health.contains("pbkdf2"), health);
    }

    @Test
    void theTriggerMethodInspectsACameraSnapshot() throws Exception {
        int before = OpcUaResource.camera.snapshots();
        OpcUaClient client = Plc.user(OpcUaResource.USER, OpcUaResource.PASSWORD);
        try {
            CallMethodResult result = client.call(new CallMethodRequest(Plc.node(client, "Lineside"),
                    Plc.node(client, "Lineside/TriggerCamera"), new Variant[0])).get(20, TimeUnit.SECONDS);
            assertTrue(result.getStatusCode().isGood(), result.getStatusCode().toString());
            String id = (String) result.getOutputArguments()[0].getValue();
            assertEquals("DEFECT", result.getOutputArguments()[1].getValue());
            assertEquals(id, read(client, "Lineside/LastInspection/Id"));
            assertEquals(FakeCamera.NAME, read(client, "Lineside/LastInspection/Source"));
        } finally {
            client.disconnect().get(10, TimeUnit.SECONDS);
        }
        assertEquals(before + 1, OpcUaResource.camera.snapshots());
    }
}
