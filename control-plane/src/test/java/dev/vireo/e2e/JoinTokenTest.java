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
        cluster = VireoCluster.start(dir, List.of("-Dvireo.cluster.join-proof-timeout=8s"),
                List.of("--join-token-file", token.toString()));
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
        assertTrue(cluster.controlPlane().logText().contains("proved the join token"), "the trusted node proved it");
    }

    @Test
    void aMemberThatSkipsTheJoinCheckWithACopiedDigestIsDowned() throws Exception {
        // Cluster.join skips the seed's join check: the member gets in with a digest it copied, then must prove
        // the token itself, and cannot
        VireoCluster.Member intruder = cluster.launchMain("manual-joiner", ManualJoiner.class.getName(),
                cluster.seed(), dev.vireo.cluster.JoinToken.digest("the-cluster-secret"));
        Eventually.until("the intruder to be downed", java.time.Duration.ofSeconds(90),
                () -> intruder.logText().contains("terminated"));
        assertTrue(intruder.logText().contains("member status Up") || intruder.logText().contains("member status WeaklyUp")
                || intruder.logText().contains("member status Joining"), intruder::tail);
        assertTrue(cluster.controlPlane().logText().contains("did not prove the join token"),
                () -> cluster.controlPlane().tail());
    }
}
