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
        // beta's credential under alpha's name; a name with no credential; no credential at all. One after the
        // other: three JVMs starting at once on a loaded machine stall the cluster's heartbeats
        VireoCluster.Member asAlpha = refused("alpha", "its proof is not made with node alpha's credential",
                "--label", "zone=a", "--node-token-file", betaToken.toString());
        VireoCluster.Member unknown = refused("zed", "no credential for node zed",
                "--node-token-file", alphaToken.toString());
        VireoCluster.Member bare = refused("beta", "it has no credential");
        assertTrue(bare.logText().contains("it has no credential: start it with --node-token-file"), bare::tail);
        Thread.sleep(3_000); // their registrations and renewals keep coming: still nothing may change

        assertNull(cluster.node("zed"), "a name without a credential is no node");
        JsonNode alpha = cluster.node("alpha");
        assertEquals("Ready", alpha.path("state").asText());
        assertEquals(alphaAddress, alpha.path("address").asText(), "alpha is still the honest member");
        assertEquals("Ready", cluster.node("beta").path("state").asText());
        assertEquals("Running", api.get(Api.vm(vm)).phase());
        assertEquals("alpha", api.get(Api.vm(vm)).at("/status/node").asText());
        assertEquals(eventsBefore, api.history(vm).size(), () -> "the VM's history changed: " + api.history(vm));
        for (VireoCluster.Member impostor : List.of(asAlpha, unknown, bare)) {
            stop(impostor);
        }
    }

    /** Starts a node runtime as {@code name} and waits until both sides log its refusal for {@code why}. */
    private static VireoCluster.Member refused(String name, String why, String... flags) throws Exception {
        VireoCluster.Member impostor = cluster.startNode(name, TEST, flags);
        Eventually.until("node " + name + " (" + String.join(" ", flags) + ") to be refused: " + why,
                Duration.ofSeconds(120), () -> cluster.controlPlane().logText().contains(why)
                        && impostor.logText().contains("the control plane refuses this member as node " + name));
        return impostor;
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
        stop(impostor);
    }

    /**
     * SIGTERM, so that it leaves the cluster: several members killed at once look to the split-brain resolver
     * like a partition, and it may down everyone.
     */
    private static void stop(VireoCluster.Member member) throws InterruptedException {
        member.process.destroy();
        if (!member.process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
            member.kill();
        }
    }
}
