package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.testkit.Prerequisite;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The cluster's transport over TLS with mutual authentication ({@code --cluster-tls DIR}): a node runtime with a
 * certificate of the cluster's CA joins and becomes Ready; one whose certificate another CA issued, and one
 * without TLS, cannot even connect, so they never become members, let alone nodes.
 */
class ClusterTlsTest {

    static final String TEST = "test:///default";
    static Path dir;
    static VireoCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        Prerequisite.require(QemuGuests.run("sh", "-c", "command -v openssl") != null,
                "cluster TLS test: openssl makes its certificates (apt-get install openssl)");
        dir = Files.createTempDirectory("vireo-cluster-tls-");
        Path ca = ca(dir.resolve("ca"));
        Path controlPlane = member(dir.resolve("control-plane-tls"), ca, "control-plane");
        cluster = VireoCluster.start(dir, List.of(), List.of("--cluster-tls", controlPlane.toString()));
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        RunningVireo.deleteRecursively(dir);
    }

    /** A root CA: {@code ca.crt} and {@code ca.key} in {@code into}. */
    static Path ca(Path into) throws Exception {
        Files.createDirectories(into);
        QemuGuests.run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                "/CN=vireo-test-ca", "-keyout", into.resolve("ca.key").toString(), "-out", into.resolve("ca.crt").toString());
        assertTrue(Files.size(into.resolve("ca.crt")) > 0, "openssl made no CA");
        return into;
    }

    /** tls.key, tls.crt (issued by {@code ca}, CN vireo-cluster, SAN the member's name) and ca.crt in {@code into}. */
    static Path member(Path into, Path ca, String name) throws Exception {
        Files.createDirectories(into);
        Path ext = Files.writeString(into.resolve("ext.cnf"), "subjectAltName=DNS:vireo-cluster,DNS:" + name + "\n");
        QemuGuests.run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=vireo-cluster",
                "-keyout", into.resolve("tls.key").toString(), "-out", into.resolve("tls.csr").toString());
        QemuGuests.run("openssl", "x509", "-req", "-in", into.resolve("tls.csr").toString(), "-CA",
                ca.resolve("ca.crt").toString(), "-CAkey", ca.resolve("ca.key").toString(), "-CAcreateserial",
                "-days", "1", "-extfile", ext.toString(), "-out", into.resolve("tls.crt").toString());
        Files.copy(ca.resolve("ca.crt"), into.resolve("ca.crt"));
        assertTrue(Files.size(into.resolve("tls.crt")) > 0, "openssl made no certificate");
        return into;
    }

    @Test
    void onlyMembersWithACertificateOfTheClustersCaJoin() throws Exception {
        Path otherCa = ca(dir.resolve("other-ca"));
        VireoCluster.Member forged = cluster.startNode("forged", TEST, "--cluster-tls",
                member(dir.resolve("forged-tls"), otherCa, "forged").toString());
        VireoCluster.Member plain = cluster.startNode("plain", TEST);
        cluster.node("alpha", TEST, "--cluster-tls", member(dir.resolve("alpha-tls"), dir.resolve("ca"), "alpha").toString());

        // alpha joined after the other two started trying: they had their chance, and keep trying
        Eventually.until("the forged certificate to be refused", Duration.ofSeconds(60),
                () -> forged.logText().contains("SSL") || forged.logText().contains("certificate")
                        || cluster.controlPlane().logText().contains("SSL"));
        Thread.sleep(5_000);
        assertNull(cluster.node("forged"), "a node whose certificate another CA issued is no node");
        assertNull(cluster.node("plain"), "a node without TLS is no node");
        assertFalse(forged.logText().contains("is up: session") && forged.logText().contains("Welcome from"),
                forged::tail);
        assertTrue(plain.process.isAlive() && forged.process.isAlive(), "they keep trying, in vain");
    }
}
