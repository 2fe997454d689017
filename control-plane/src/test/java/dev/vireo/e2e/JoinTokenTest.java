package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A cluster with a join token: a node runtime that has it joins and becomes Ready; one with another token is
 * refused at the door (Pekko's join check), so it can neither register nor report anything about any VM.
 */
class JoinTokenTest {

    static final String TEST = "test:///default";
    static Path dir;
    static VireoCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        dir = Files.createTempDirectory("vireo-join-");
        Path token = Files.writeString(dir.resolve("join-token"), "the-cluster-secret\n");
        cluster = VireoCluster.start(dir, List.of(), List.of("--join-token-file", token.toString()));
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        RunningVireo.deleteRecursively(dir);
    }

    @Test
    void onlyANodeWithTheClustersJoinTokenJoins() throws Exception {
        Path right = Files.writeString(dir.resolve("right"), "the-cluster-secret");
        Path wrong = Files.writeString(dir.resolve("wrong"), "a-guess");
        VireoCluster.Member intruder = cluster.startNode("intruder", TEST, "--join-token-file", wrong.toString());
        cluster.node("trusted", TEST, "--join-token-file", right.toString());

        // the trusted node joined after the intruder started trying: the intruder had its chance
        Eventually.until("the refused join to be logged", java.time.Duration.ofSeconds(30),
                () -> cluster.controlPlane().logText().contains("join token") || intruder.logText().contains("join token"));
        assertNull(cluster.node("intruder"), "a node with another join token is not a node of the cluster");
        assertTrue(cluster.node("trusted") != null);
    }
}
