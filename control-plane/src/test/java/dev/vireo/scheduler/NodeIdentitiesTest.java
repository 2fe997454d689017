package dev.vireo.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.auth.NodeCredentials;
import dev.vireo.protocol.node.DomainState;
import dev.vireo.protocol.node.NodeIdentity;
import dev.vireo.protocol.node.NodeLease;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.vm.VmId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which member is which node: challenges, proofs and refusals on a clock of nanoseconds, no actor. */
class NodeIdentitiesTest {

    private static final long S = 1_000_000_000L;
    private static final String ALPHA = "pekko://vireo@10.0.0.1:25520";
    private static final String BETA = "pekko://vireo@10.0.0.2:25520";
    private static final String MALLORY = "pekko://vireo@10.0.0.9:25520";

    @TempDir
    Path dir;

    private final Set<String> alive = new HashSet<>(Set.of(ALPHA, BETA, MALLORY));
    private final AtomicInteger nonces = new AtomicInteger();

    private NodeIdentities identities() throws IOException {
        Path file = Files.writeString(dir.resolve("nodes.csv"), "# name,token\nalpha,alpha-secret\nbeta,beta-secret\n");
        return new NodeIdentities(new NodeCredentials(file), alive::contains, () -> "nonce-" + nonces.incrementAndGet());
    }

    private static Scheduler.Command renew(String node) {
        return new Scheduler.RenewLease(new NodeLease.Renew(node, "session", null));
    }

    private static Scheduler.Command report(String node) {
        return new Scheduler.Report(new NodeReport.DomainFound(new VmId("default", "web"), node, 3, "uid",
                DomainState.Running), "node-" + node + "-1");
    }

    /** The member at {@code address} asks to speak for {@code node}, and answers the challenge with {@code token}. */
    private static NodeIdentities.Verdict join(NodeIdentities ids, String address, String node, String token, long now) {
        NodeIdentities.Held held = assertInstanceOf(NodeIdentities.Held.class, ids.admit(address, node, renew(node), now));
        return ids.prove(address, node, held.nonce(), NodeIdentity.mac(token, node, address, held.nonce()), now);
    }

    @Test
    void aMemberThatProvesItsNameIsTakenWithWhatItSentMeanwhile() throws IOException {
        NodeIdentities ids = identities();
        Scheduler.Command first = renew("alpha");
        NodeIdentities.Held held = assertInstanceOf(NodeIdentities.Held.class, ids.admit(ALPHA, "alpha", first, 0));
        Scheduler.Command second = report("alpha");
        assertNull(assertInstanceOf(NodeIdentities.Held.class, ids.admit(ALPHA, "alpha", second, S)).nonce(),
                "one challenge at a time");
        NodeIdentities.Bound bound = assertInstanceOf(NodeIdentities.Bound.class, ids.prove(ALPHA, "alpha",
                held.nonce(), NodeIdentity.mac("alpha-secret", "alpha", ALPHA, held.nonce()), S));
        assertEquals(List.of(first, second), bound.held());
        assertInstanceOf(NodeIdentities.Admit.class, ids.admit(ALPHA, "alpha", report("alpha"), 2 * S));
        assertEquals(ALPHA, ids.memberOf("alpha"));
    }

    @Test
    void aProvenMembersReportAboutAnotherNodeIsRefusedAndCounted() throws IOException {
        NodeIdentities ids = identities();
        assertInstanceOf(NodeIdentities.Bound.class, join(ids, MALLORY, "beta", "beta-secret", 0));
        NodeIdentities.Refuse refused = assertInstanceOf(NodeIdentities.Refuse.class,
                ids.admit(MALLORY, "alpha", report("alpha"), S));
        assertTrue(refused.reason().contains("proved to be node beta, not alpha"), refused.reason());
        assertTrue(refused.log());
        assertEquals(1, refused.count());
        NodeIdentities.Refuse again = assertInstanceOf(NodeIdentities.Refuse.class,
                ids.admit(MALLORY, "alpha", report("alpha"), S));
        assertEquals(2, again.count());
        assertTrue(!again.log(), "logged once, counted always");
    }

    @Test
    void anotherNodesCredentialAnUnknownNameAndNoCredentialAreRefused() throws IOException {
        NodeIdentities ids = identities();
        NodeIdentities.NotBound wrong = assertInstanceOf(NodeIdentities.NotBound.class,
                join(ids, MALLORY, "alpha", "beta-secret", 0));
        assertTrue(wrong.reason().contains("not made with node alpha's credential"), wrong.reason());
        assertEquals(1, wrong.dropped());
        assertInstanceOf(NodeIdentities.Refuse.class, ids.admit(MALLORY, "alpha", renew("alpha"), S),
                "refused for a while, without a new challenge");

        NodeIdentities.NotBound unknown = assertInstanceOf(NodeIdentities.NotBound.class,
                join(ids, BETA, "zed", "alpha-secret", 0));
        assertTrue(unknown.reason().contains("no credential for node zed"), unknown.reason());

        NodeIdentities.Held held = assertInstanceOf(NodeIdentities.Held.class, ids.admit(ALPHA, "alpha", renew("alpha"), 0));
        NodeIdentities.NotBound none = assertInstanceOf(NodeIdentities.NotBound.class,
                ids.prove(ALPHA, "alpha", held.nonce(), "", 0));
        assertTrue(none.reason().contains("no credential"), none.reason());
        assertNull(ids.memberOf("alpha"));
    }

    @Test
    void aRefusedMemberIsAskedAgainLaterAndTheSameRefusalIsNoNews() throws IOException {
        NodeIdentities ids = identities();
        assertTrue(assertInstanceOf(NodeIdentities.NotBound.class, join(ids, MALLORY, "alpha", "beta-secret", 0)).news());
        long later = NodeIdentities.REFUSED_FOR.toNanos() + S;
        NodeIdentities.Held again = assertInstanceOf(NodeIdentities.Held.class,
                ids.admit(MALLORY, "alpha", renew("alpha"), later));
        assertTrue(again.again());
        NodeIdentities.NotBound same = assertInstanceOf(NodeIdentities.NotBound.class, ids.prove(MALLORY, "alpha",
                again.nonce(), NodeIdentity.mac("beta-secret", "alpha", MALLORY, again.nonce()), later));
        assertTrue(!same.news(), "logged once");
    }

    @Test
    void aProofIsGoodForItsOwnNonceAndMemberOnly() throws IOException {
        NodeIdentities ids = identities();
        NodeIdentities.Held alphas = assertInstanceOf(NodeIdentities.Held.class, ids.admit(ALPHA, "alpha", renew("alpha"), 0));
        String alphasProof = NodeIdentity.mac("alpha-secret", "alpha", ALPHA, alphas.nonce());
        NodeIdentities.Held mallorys = assertInstanceOf(NodeIdentities.Held.class,
                ids.admit(MALLORY, "alpha", renew("alpha"), 0));
        // mallory replays alpha's proof: made for alpha's member and nonce, it proves nothing for mallory's
        assertInstanceOf(NodeIdentities.NotBound.class, ids.prove(MALLORY, "alpha", mallorys.nonce(), alphasProof, 0));
        assertInstanceOf(NodeIdentities.Ignored.class, ids.prove(MALLORY, "alpha", alphas.nonce(), alphasProof, 0),
                "a nonce given to another member");
        assertInstanceOf(NodeIdentities.Bound.class, ids.prove(ALPHA, "alpha", alphas.nonce(), alphasProof, 0));
        assertInstanceOf(NodeIdentities.Ignored.class, ids.prove(ALPHA, "alpha", alphas.nonce(), alphasProof, S),
                "a nonce is good once");
    }

    @Test
    void aNameStaysWithItsMemberUntilThatMemberIsGone() throws IOException {
        NodeIdentities ids = identities();
        assertInstanceOf(NodeIdentities.Bound.class, join(ids, ALPHA, "alpha", "alpha-secret", 0));
        String restarted = "pekko://vireo@10.0.0.1:41000";
        alive.add(restarted);
        NodeIdentities.NotBound second = assertInstanceOf(NodeIdentities.NotBound.class,
                join(ids, restarted, "alpha", "alpha-secret", S));
        assertTrue(second.reason().contains("is the member at " + ALPHA), second.reason());

        alive.remove(ALPHA); // the old member was removed, or cannot be reached
        long later = S + NodeIdentities.REFUSED_FOR.toNanos() + S;
        NodeIdentities.Bound took = assertInstanceOf(NodeIdentities.Bound.class,
                join(ids, restarted, "alpha", "alpha-secret", later));
        assertEquals(ALPHA, took.replaced());
        assertEquals(restarted, ids.memberOf("alpha"));
        assertInstanceOf(NodeIdentities.Held.class, ids.admit(ALPHA, "alpha", renew("alpha"), later),
                "the old member must prove its name again");
    }

    @Test
    void aChangedCredentialUnbindsItsNode() throws IOException {
        NodeIdentities ids = identities();
        assertInstanceOf(NodeIdentities.Bound.class, join(ids, ALPHA, "alpha", "alpha-secret", 0));
        assertInstanceOf(NodeIdentities.Bound.class, join(ids, BETA, "beta", "beta-secret", 0));
        Files.writeString(dir.resolve("nodes.csv"), "alpha,a-new-secret\nbeta,beta-secret\n");
        Files.setLastModifiedTime(dir.resolve("nodes.csv"), java.nio.file.attribute.FileTime.fromMillis(
                System.currentTimeMillis() + 5_000));
        assertEquals(java.util.Map.of("alpha", ALPHA), ids.refresh(S));
        assertInstanceOf(NodeIdentities.Held.class, ids.admit(ALPHA, "alpha", renew("alpha"), S));
        assertInstanceOf(NodeIdentities.Admit.class, ids.admit(BETA, "beta", renew("beta"), S));
    }
}
