package io.lineside.sinks.opcua;

import io.lineside.config.LinesideConfig;
import io.lineside.ingest.camera.CameraSource;
import io.lineside.inspection.Inspection;
import io.lineside.inspection.Outcome;
import io.lineside.sinks.HostName;
import io.lineside.sinks.LineState;
import io.lineside.sinks.SinkMetrics;
import io.lineside.sinks.SinkStatus;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.milo.opcua.sdk.server.OpcUaServer;
import org.eclipse.milo.opcua.sdk.server.api.config.OpcUaServerConfig;
import org.eclipse.milo.opcua.sdk.server.identity.UsernameIdentityValidator;
import org.eclipse.milo.opcua.stack.core.security.DefaultCertificateManager;
import org.eclipse.milo.opcua.stack.core.security.DefaultTrustListManager;
import org.eclipse.milo.opcua.stack.core.security.SecurityPolicy;
import org.eclipse.milo.opcua.stack.core.transport.TransportProfile;
import org.eclipse.milo.opcua.stack.core.types.builtin.DateTime;
import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.enumerated.MessageSecurityMode;
import org.eclipse.milo.opcua.stack.core.types.structured.BuildInfo;
import org.eclipse.milo.opcua.stack.server.EndpointConfiguration;
import org.eclipse.milo.opcua.stack.server.security.DefaultServerCertificateValidator;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.eclipse.milo.opcua.sdk.server.api.config.OpcUaServerConfig.USER_TOKEN_POLICY_ANONYMOUS;
import static org.eclipse.milo.opcua.sdk.server.api.config.OpcUaServerConfig.USER_TOKEN_POLICY_USERNAME;

/**
 * {@code lineside.opcua.*}: an OPC UA server (Eclipse Milo) with one Basic256Sha256 sign-and-encrypt
 * endpoint for sessions (users from {@code lineside.opcua.users}, anonymous reading only when allowed)
 * and a discovery-only endpoint without security, so clients can fetch the endpoints and the server
 * certificate. Client certificates must be trusted: an unknown one is refused and filed under
 * {@code <path>/pki/rejected/}; moving that file to {@code pki/trusted/certs/} trusts it.
 */
@ApplicationScoped
public class OpcUaSink {

    private static final Logger LOG = Logger.getLogger(OpcUaSink.class);
    public static final String SINK = "opcua";
    static final String PATH = "/lineside";

    @Inject
    LinesideConfig config;

    @Inject
    LineState state;

    @Inject
    CameraSource camera;

    @Inject
    MeterRegistry registry;

    private volatile boolean enabled;
    private volatile OpcUaServer server;
    private volatile LinesideNamespace namespace;
    private volatile String failure;
    private volatile String endpointUrl;
    private SinkMetrics metrics;

    void start(@Observes StartupEvent event) {
        LinesideConfig.Opcua c = config.opcua();
        if (c.port().isEmpty()) {
            return;
        }
        enabled = true;
        metrics = new SinkMetrics(registry, SINK, () -> 0, "bind", "trigger-failed");
        Map<String, String> users = users(c.users().orElse(List.of()));
        if (users.isEmpty() && !c.allowAnonymous()) {
            LOG.warn("OPC UA: no lineside.opcua.users and lineside.opcua.allow-anonymous=false: nobody can log in");
        }
        String hostname = c.hostname().orElse(HostName.get());
        String applicationUri = "urn:lineside:" + hostname;
        int port = c.port().getAsInt();
        try {
            Path dir = c.path().toAbsolutePath().normalize();
            ServerKeys keys = ServerKeys.loadOrCreate(dir, applicationUri, hostname);
            DefaultTrustListManager trust = new DefaultTrustListManager(dir.resolve("pki").toFile());
            UsernameIdentityValidator identities = new UsernameIdentityValidator(c.allowAnonymous(), challenge -> {
                String hash = users.get(challenge.getUsername());
                return hash != null && PasswordHash.verify(challenge.getPassword(), hash);
            });
            EndpointConfiguration.Builder secure = EndpointConfiguration.newBuilder()
                    .setBindAddress(c.bindAddress())
                    .setHostname(hostname)
                    .setBindPort(port)
                    .setPath(PATH)
                    .setCertificate(keys.certificate)
                    .setTransportProfile(TransportProfile.TCP_UASC_UABINARY)
                    .setSecurityPolicy(SecurityPolicy.Basic256Sha256)
                    .setSecurityMode(MessageSecurityMode.SignAndEncrypt)
                    .addTokenPolicy(USER_TOKEN_POLICY_USERNAME);
            if (c.allowAnonymous()) {
                secure.addTokenPolicy(USER_TOKEN_POLICY_ANONYMOUS);
            }
            Set<EndpointConfiguration> endpoints = new LinkedHashSet<>();
            endpoints.add(secure.build());
            // GetEndpoints needs a channel without security; Milo serves only discovery there (no session).
            endpoints.add(secure.copy().setPath(PATH + "/discovery").setSecurityPolicy(SecurityPolicy.None)
                    .setSecurityMode(MessageSecurityMode.None).build());
            OpcUaServerConfig serverConfig = OpcUaServerConfig.builder()
                    .setApplicationUri(applicationUri)
                    .setApplicationName(LocalizedText.english("lineside"))
                    .setProductUri("urn:lineside")
                    .setBuildInfo(new BuildInfo("urn:lineside", "lineside", "lineside", OpcUaServer.SDK_VERSION, "",
                            DateTime.now()))
                    .setEndpoints(endpoints)
                    .setCertificateManager(new DefaultCertificateManager(keys.keyPair, keys.certificate))
                    .setTrustListManager(trust)
                    .setCertificateValidator(new DefaultServerCertificateValidator(trust))
                    .setIdentityValidator(identities)
                    .build();
            OpcUaServer s = new OpcUaServer(serverConfig);
            LinesideNamespace ns = new LinesideNamespace(s, this::trigger, () -> metrics.error("trigger-failed"));
            ns.startup();
            s.startup().get(30, TimeUnit.SECONDS);
            namespace = ns;
            server = s;
            endpointUrl = "opc.tcp://" + hostname + ":" + port + PATH;
            refresh(state.snapshot());
            state.onChange(this::onChange);
            state.onModelChange(() -> refresh(state.snapshot()));
            metrics.connected(true);
            LOG.infof("OPC UA: listening at %s (Basic256Sha256 sign-and-encrypt; %d user(s); anonymous reading %s); "
                    + "client certificates are trusted from %s", endpointUrl, users.size(),
                    c.allowAnonymous() ? "allowed" : "refused", dir.resolve("pki/trusted/certs"));
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            failure = "cannot start the OPC UA server on port " + port + ": " + cause.getMessage();
            metrics.error("bind");
            LOG.errorf("OPC UA: %s", failure);
        }
    }

    /** {@code name:hash} entries; a malformed one stops the start-up (a typo must not lock users out silently). */
    static Map<String, String> users(List<String> entries) {
        Map<String, String> users = new LinkedHashMap<>();
        for (String entry : entries) {
            int colon = entry.indexOf(':');
            String name = colon < 0 ? entry : entry.substring(0, colon).trim();
            String hash = colon < 0 ? "" : entry.substring(colon + 1).trim();
            if (name.isEmpty() || !PasswordHash.wellFormed(hash)) {
                // Only the name is shown: the value might be a password pasted by mistake.
                throw new IllegalArgumentException("lineside.opcua.users: the entry for '" + name + "' is not name:hash "
                        + "(make the hash with: java -jar quarkus-run.jar hash-password)");
            }
            users.put(name, hash);
        }
        return users;
    }

    private void onChange(LineState.Snapshot s) {
        refresh(s);
        metrics.published(1);
    }

    private void refresh(LineState.Snapshot s) {
        LinesideNamespace ns = namespace;
        if (ns != null) {
            ns.update(s, state.ready(), state.threshold(), state::model);
        }
    }

    private String[] trigger() {
        Outcome outcome = camera.trigger();
        String verdict = outcome instanceof Inspection i ? i.verdict().name() : "REJECTED";
        return new String[]{outcome.id(), verdict};
    }

    void stop(@Observes ShutdownEvent event) {
        OpcUaServer s = server;
        server = null;
        if (s != null) {
            try {
                namespace.shutdown();
                s.shutdown().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.debugf("OPC UA: shutdown: %s", e.getMessage());
            } finally {
                metrics.connected(false);
            }
        }
    }

    public Optional<SinkStatus> status() {
        if (!enabled) {
            return Optional.empty();
        }
        LinesideConfig.Opcua c = config.opcua();
        Map<String, Object> d = SinkStatus.newDetails();
        if (endpointUrl != null) {
            d.put("endpoint", endpointUrl);
        }
        d.put("securityPolicy", "Basic256Sha256");
        d.put("securityMode", "SignAndEncrypt");
        d.put("allowAnonymous", c.allowAnonymous());
        d.put("users", c.users().map(List::size).orElse(0));
        return Optional.of(new SinkStatus(SINK, server != null, server != null ? null : failure, d));
    }
}
