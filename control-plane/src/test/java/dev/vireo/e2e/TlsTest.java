package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.Vireo;
import dev.vireo.VireoSettings;
import dev.vireo.testkit.Prerequisite;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The API over TLS (--tls-cert, --tls-key), and plain HTTP only on a loopback address. */
class TlsTest {

    private static Path dir;
    private static Path cert;
    private static Path key;
    private static Vireo vireo;

    @BeforeAll
    static void startWithTls() throws Exception {
        Prerequisite.require(QemuGuests.run("sh", "-c", "command -v openssl") != null,
                "TLS tests: openssl makes their certificate (apt-get install openssl)");
        dir = Files.createTempDirectory("vireo-tls-");
        cert = dir.resolve("cert.pem");
        key = dir.resolve("key.pem");
        QemuGuests.run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout", key.toString(), "-out", cert.toString());
        assertTrue(Files.size(cert) > 0 && Files.size(key) > 0, "openssl made no certificate");
        vireo = start("127.0.0.1", Map.of("vireo.http.tls-cert", cert.toString(), "vireo.http.tls-key", key.toString()),
                dir.resolve("data"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (vireo != null) {
            vireo.close();
        }
        RunningVireo.deleteRecursively(dir);
    }

    private static Vireo start(String address, Map<String, Object> extra, Path data) throws Exception {
        Map<String, Object> config = new HashMap<>(RunningVireo.TEST_CONFIG);
        config.putAll(extra);
        return Vireo.start(new VireoSettings(address, 0, data, RunningVireo.HYPERVISOR, null, 0, "local", config));
    }

    private static SSLContext trusting(Path pem) throws Exception {
        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        trusted.load(null, null);
        try (InputStream in = Files.newInputStream(pem)) {
            trusted.setCertificateEntry("vireo", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }

    @Test
    void theApiAnswersOverTlsWithTheToken() throws Exception {
        Api https = new Api(URI.create("https://127.0.0.1:" + vireo.port()), HttpClient.newBuilder()
                .sslContext(trusting(cert)).version(HttpClient.Version.HTTP_1_1).build(), Api.ADMIN_TOKEN);
        RunningVireo.awaitReady(https, Duration.ofSeconds(60));
        assertEquals("https", vireo.scheme());
        assertEquals(200, https.get("/api/v1/virtualmachines").status());
        assertEquals(401, https.as(null).get("/api/v1/virtualmachines").status());
    }

    @Test
    void theCliTrustsTheServerWithCaAndRefusesItWithout() {
        String server = "https://127.0.0.1:" + vireo.port();
        CliRun trusted = CliRun.of("get", "vms", "-A", "--server", server, "--ca", cert.toString(), "--token", Api.ADMIN_TOKEN);
        assertEquals(0, trusted.exit(), trusted.err());
        CliRun untrusted = CliRun.of("get", "vms", "-A", "--server", server, "--token", Api.ADMIN_TOKEN);
        assertTrue(untrusted.exit() != 0, untrusted.out());
        assertTrue(untrusted.err().toLowerCase().contains("certif") || untrusted.err().contains("PKIX"), untrusted.err());
    }

    @Test
    void plainHttpIsServedOnlyOnALoopbackAddressUnlessInsecureHttpIsGiven() throws Exception {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> start("0.0.0.0", Map.of(), dir.resolve("refused")));
        assertTrue(refused.getMessage().contains("--insecure-http"), refused.getMessage());
        try (Vireo insecure = start("0.0.0.0", Map.of("vireo.http.insecure-http", "on"), dir.resolve("insecure"))) {
            assertEquals("http", insecure.scheme());
        }
    }
}
