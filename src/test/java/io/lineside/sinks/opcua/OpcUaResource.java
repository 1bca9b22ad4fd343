package io.lineside.sinks.opcua;

import io.lineside.sinks.FakeCamera;
import io.lineside.sinks.SinkScene;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateBuilder;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateGenerator;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.Map;

/**
 * The appliance with an OPC UA server on a free loopback port, users {@code plc} and {@code operator}
 * (hashed in the config), a trigger-only camera, and the test PLC's client certificate already in
 * {@code pki/trusted/certs} (as an operator would put it). Init arg {@code anonymous}: allow anonymous reading.
 */
public class OpcUaResource implements QuarkusTestResourceLifecycleManager {

    public static final String USER = "plc";
    public static final String PASSWORD = "plc-Pa55-word";

    public static volatile int port;
    public static volatile Path pki;
    public static volatile FakeCamera camera;
    public static volatile KeyPair clientKeys;
    public static volatile X509Certificate clientCertificate;

    private boolean anonymous;

    @Override
    public void init(Map<String, String> initArgs) {
        anonymous = Boolean.parseBoolean(initArgs.getOrDefault("anonymous", "false"));
    }

    @Override
    public Map<String, String> start() {
        try {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
            camera = FakeCamera.start();
            Map<String, String> c = SinkScene.config("opcua");
            Path opcua = Path.of(c.get("lineside.journal.path")).getParent().resolve("opcua");
            clientKeys = SelfSignedCertificateGenerator.generateRsaKeyPair(2048);
            clientCertificate = new SelfSignedCertificateBuilder(clientKeys).setCommonName("test plc")
                    .setApplicationUri(Plc.APPLICATION_URI).addDnsName("localhost").build();
            pki = opcua.resolve("pki");
            Path trusted = opcua.resolve("pki/trusted/certs");
            Files.createDirectories(trusted);
            Files.write(trusted.resolve("test-plc.der"), clientCertificate.getEncoded());
            c.put("lineside.opcua.port", String.valueOf(port));
            c.put("lineside.opcua.bind-address", "127.0.0.1");
            c.put("lineside.opcua.hostname", "localhost");
            c.put("lineside.opcua.path", opcua.toString());
            c.put("lineside.opcua.allow-anonymous", String.valueOf(anonymous));
            c.put("lineside.opcua.users", USER + ":" + PasswordHash.hash(PASSWORD.toCharArray())
                    + ",operator:" + PasswordHash.hash("other".toCharArray()));
            c.put("lineside.camera.url", camera.url());
            c.put("lineside.camera.name", FakeCamera.NAME);
            c.put("lineside.camera.interval", "0s");
            return c;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void stop() {
        if (camera != null) {
            camera.close();
        }
    }
}
