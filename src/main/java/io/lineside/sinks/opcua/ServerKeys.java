package io.lineside.sinks.opcua;

import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateBuilder;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateGenerator;
import org.jboss.logging.Logger;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Period;

/**
 * The server's application instance certificate and key, in {@code <lineside.opcua.path>/server.p12}:
 * created (RSA 2048, self-signed, 10 years) on first start and reused after, so clients that trusted it
 * keep trusting it. The file is readable by its owner only; its store password is not a secret
 * worth configuring (whoever reads the file can read the appliance's data too).
 */
final class ServerKeys {

    private static final Logger LOG = Logger.getLogger(ServerKeys.class);
    private static final String FILE = "server.p12";
    private static final String ALIAS = "lineside-opcua";
    private static final char[] STORE_PASSWORD = "lineside".toCharArray();

    final KeyPair keyPair;
    final X509Certificate certificate;

    private ServerKeys(KeyPair keyPair, X509Certificate certificate) {
        this.keyPair = keyPair;
        this.certificate = certificate;
    }

    static ServerKeys loadOrCreate(Path dir, String applicationUri, String hostname) throws Exception {
        Files.createDirectories(dir);
        Path file = dir.resolve(FILE);
        KeyStore store = KeyStore.getInstance("PKCS12");
        if (Files.exists(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                store.load(in, STORE_PASSWORD);
            }
            Key key = store.getKey(ALIAS, STORE_PASSWORD);
            X509Certificate cert = (X509Certificate) store.getCertificate(ALIAS);
            if (key instanceof PrivateKey privateKey && cert != null) {
                PublicKey publicKey = cert.getPublicKey();
                return new ServerKeys(new KeyPair(publicKey, privateKey), cert);
            }
            throw new IllegalStateException(file + " holds no " + ALIAS + " key: move it away to make a new certificate");
        }
        KeyPair keyPair = SelfSignedCertificateGenerator.generateRsaKeyPair(2048);
        SelfSignedCertificateBuilder builder = new SelfSignedCertificateBuilder(keyPair)
                .setCommonName("lineside " + hostname)
                .setOrganization("lineside")
                .setApplicationUri(applicationUri)
                .setValidityPeriod(Period.ofYears(10))
                .addDnsName(hostname)
                .addDnsName("localhost")
                .addIpAddress("127.0.0.1");
        X509Certificate cert = builder.build();
        store.load(null, STORE_PASSWORD);
        store.setKeyEntry(ALIAS, keyPair.getPrivate(), STORE_PASSWORD, new X509Certificate[]{cert});
        Path tmp = dir.resolve(FILE + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            store.store(out, STORE_PASSWORD);
        }
        try {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        LOG.infof("OPC UA: created the server certificate %s (%s), kept in %s", cert.getSubjectX500Principal(),
                applicationUri, file);
        return new ServerKeys(keyPair, cert);
    }
}
