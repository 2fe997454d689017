package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Each node proves its own name ({@code --node-tokens} on the control plane, {@code --node-token-file} on the
 * node): real node runtimes that claim a name with another node's credential, with no credential, or a name
 * the control plane has no credential for, are refused, logged on both sides, and change nothing: the honest
 * nodes keep their names and VMs, and a lost node's name is not taken by an impostor that holds another
 * node's credential; the honest node, started again, gets its name back.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NodeIdentityTest {

    static final String TEST = "test:///default";
    static Path dir;
    static VireoCluster cluster;
    static Api api;
    static Path alphaToken;
    static Path betaToken;
    static String vm;
    /** The honest beta (an impostor started under its name replaces it in the cluster's map of names). */
    static VireoCluster.Member beta;

    @BeforeAll
    static void startCluster() throws Exception {
        dir = Files.createTempDirectory("vireo-node-identity-");
        Path credentials = Files.writeString(dir.resolve("node-tokens.csv"),
                "# name,token\nalpha,alpha-9f2c4e1d7a\nbeta,beta-3b8e0c6f51\n");
        alphaToken = Files.writeString(dir.resolve("alpha.token"), "alpha-9f2c4e1d7a\n");
        betaToken = Files.writeString(dir.resolve("beta.token"), "beta-3b8e0c6f51\n");
        cluster = VireoCluster.start(dir, List.of(), List.of("--node-tokens", credentials.toString()));
        api = cluster.api();
        cluster.startNode("alpha", TEST, "--label", "zone=a", "--node-token-file", alphaToken.toString());
        beta = cluster.startNode("beta", TEST, "--label", "zone=b", "--node-token-file", betaToken.toString());
        cluster.awaitNode("alpha", "Ready", cluster.member("alpha"));
        cluster.awaitNode("beta", "Ready", beta);
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        RunningVireo.deleteRecursively(dir);
    }

    @Test
    @Order(1)
    void nodesWithTheirOwnCredentialsJoinAndRunVms() {
        assertTrue(cluster.controlPlane().logText().contains("node alpha: the member at "), "proved, in the log");
        vm = Manifests.uniqueName("guarded");
        assertEquals(201, api.create("""
                {"apiVersion": "vireo.dev/v1", "kind": "VirtualMachine", "metadata": {"name": "%s"},
                 "spec": {"runStrategy": "Always", "cpu": {"cores": 1}, "memory": "64Mi", "nodeSelector": {"zone": "a"}}}
                """.formatted(vm)).status());
        assertEquals("alpha", api.awaitPhase(vm, "Running").at("/status/node").asText());
    }

    @Test
    @Order(2)
    void impostorsAreRefusedAndChangeNothing() throws Exception {
        String alphaAddress = cluster.node("alpha").path("address").asText();
        int eventsBefore = api.history(vm).size();
        // beta's credential under alpha's name; a name with no credential; no credential at all
        VireoCluster.Member asAlpha = cluster.startNode("alpha", TEST, "--label", "zone=a",
                "--node-token-file", betaToken.toString());
        VireoCluster.Member unknown = cluster.startNode("zed", TEST, "--node-token-file", alphaToken.toString());
        VireoCluster.Member bare = cluster.startNode("beta", TEST);

        Eventually.until("the three refusals in the control plane's log", Duration.ofSeconds(120), () -> {
            String log = cluster.controlPlane().logText();
            return log.contains("its proof is not made with node alpha's credential")
                    && log.contains("no credential for node zed") && log.contains("it has no credential");
        });
        Eventually.until("the impostors to be told", Duration.ofSeconds(30), () ->
                asAlpha.logText().contains("the control plane refuses this member as node alpha")
                        && unknown.logText().contains("the control plane refuses this member as node zed")
                        && bare.logText().contains("it has no credential: start it with --node-token-file"));
        Thread.sleep(3_000); // their registrations and renewals keep coming: still nothing may change

        assertNull(cluster.node("zed"), "a name without a credential is no node");
        JsonNode alpha = cluster.node("alpha");
        assertEquals("Ready", alpha.path("state").asText());
        assertEquals(alphaAddress, alpha.path("address").asText(), "alpha is still the honest member");
        assertEquals("Ready", cluster.node("beta").path("state").asText());
        assertEquals("Running", api.get(Api.vm(vm)).phase());
        assertEquals("alpha", api.get(Api.vm(vm)).at("/status/node").asText());
        assertEquals(eventsBefore, api.history(vm).size(), () -> "the VM's history changed: " + api.history(vm));
        asAlpha.kill();
        unknown.kill();
        bare.kill();
    }

    @Test
    @Order(3)
    void aLostNodesNameIsNotTakenByAnImpostorAndComesBackWithTheNode() throws Exception {
        VireoCluster.Member impostor = cluster.startNode("beta", TEST, "--node-token-file", alphaToken.toString());
        Eventually.until("the impostor to be refused", Duration.ofSeconds(120), () ->
                impostor.logText().contains("the control plane refuses this member as node beta"));

        beta.kill();
        cluster.awaitNode("beta", "Lost", null);
        Thread.sleep(8_000); // the impostor registers every few seconds: without node identity it would be beta now
        assertEquals("Lost", cluster.node("beta").path("state").asText());
        assertFalse(cluster.controlPlane().logText().contains("node beta joined again"),
                "an impostor took the name of a lost node");

        VireoCluster.Member again = cluster.restart(beta);
        cluster.awaitNode("beta", "Ready", again);
        assertTrue(cluster.controlPlane().logText().contains("node beta joined again"));
        assertTrue(impostor.process.isAlive());
        assertEquals("Running", api.get(Api.vm(vm)).phase());
        impostor.kill();
    }
}
