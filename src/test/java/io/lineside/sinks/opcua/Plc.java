package io.lineside.sinks.opcua;

import org.eclipse.milo.opcua.sdk.client.OpcUaClient;
import org.eclipse.milo.opcua.sdk.client.api.identity.AnonymousProvider;
import org.eclipse.milo.opcua.sdk.client.api.identity.IdentityProvider;
import org.eclipse.milo.opcua.sdk.client.api.identity.UsernameProvider;
import org.eclipse.milo.opcua.stack.client.security.ClientCertificateValidator;
import org.eclipse.milo.opcua.stack.core.security.SecurityPolicy;
import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.types.enumerated.MessageSecurityMode;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;

import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.uint;

/** The test's OPC UA client (Milo's), always on the Basic256Sha256 sign-and-encrypt endpoint. */
final class Plc {

    static final String APPLICATION_URI = "urn:lineside:test-plc";

    private Plc() {
    }

    static OpcUaClient connect(IdentityProvider identity) throws Exception {
        return connect(identity, OpcUaResource.clientKeys, OpcUaResource.clientCertificate);
    }

    static OpcUaClient connect(IdentityProvider identity, KeyPair keys, X509Certificate certificate) throws Exception {
        OpcUaClient client = OpcUaClient.create("opc.tcp://localhost:" + OpcUaResource.port + "/lineside/discovery",
                endpoints -> endpoints.stream()
                        .filter(e -> SecurityPolicy.Basic256Sha256.getUri().equals(e.getSecurityPolicyUri())
                                && e.getSecurityMode() == MessageSecurityMode.SignAndEncrypt)
                        .findFirst(),
                b -> b.setApplicationName(LocalizedText.english("test plc"))
                        .setApplicationUri(APPLICATION_URI)
                        .setKeyPair(keys)
                        .setCertificate(certificate)
                        .setCertificateChain(new X509Certificate[]{certificate})
                        // The test trusts the appliance's self-signed certificate, as an integrator would after checking it.
                        .setCertificateValidator(new ClientCertificateValidator.InsecureValidator())
                        .setIdentityProvider(identity)
                        .setRequestTimeout(uint(10_000))
                        .build());
        client.connect().get(20, TimeUnit.SECONDS);
        return client;
    }

    static OpcUaClient user(String name, String password) throws Exception {
        return connect(new UsernameProvider(name, password));
    }

    static OpcUaClient anonymous() throws Exception {
        return connect(new AnonymousProvider());
    }

    static NodeId node(OpcUaClient client, String path) {
        int ns = client.getNamespaceTable().getIndex(LinesideNamespace.URI).intValue();
        return new NodeId(ns, path);
    }
}
