package dev.vireo.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.protocol.node.NodeImages;
import dev.vireo.protocol.node.NodeInfo;
import dev.vireo.protocol.node.NodeLease;
import dev.vireo.protocol.node.NodeRegistration;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Leases, loss and names on a clock of nanoseconds: no actor, no waiting. */
class NodeRosterTest {

    private static final long MS = 1_000_000L;
    private static final NodeRoster.Timing TIMING = new NodeRoster.Timing(Duration.ofSeconds(6), Duration.ofSeconds(1),
            Duration.ofSeconds(3), Duration.ofSeconds(30));

    private final NodeRoster roster = new NodeRoster(TIMING);

    private static NodeRegistration registration(String node, String session, String host) {
        NodeInfo info = new NodeInfo(node, 4, 4L << 30, Map.of(), "qemu:///system", "tcg", true, host,
                "qemu:///system", NodeImages.NONE);
        return new NodeRegistration(info, null, null, session, null);
    }

    @Test
    void aNodeIsDeclaredLostOnlyOnceTtlAndMarginPassedWithoutARenewal() {
        long t = 1_000 * MS;
        assertInstanceOf(NodeRoster.Joined.class, roster.register(registration("n1", "s1", "h1"), "a1", t));
        assertInstanceOf(NodeLease.Granted.class, roster.renew("n1", "s1", t));
        assertEquals(List.of(), roster.expire(t + 9_000 * MS, Instant.now()));
        List<NodeRoster.Entry> lost = roster.expire(t + 9_001 * MS, Instant.now());
        assertEquals(1, lost.size());
        assertEquals(NodeRoster.State.Lost, lost.get(0).state);
        assertEquals(List.of(), roster.expire(t + 20_000 * MS, Instant.now()), "declared lost once");
    }

    @Test
    void eachRenewalMovesTheDeadlineAndGrantsTheTtl() {
        long t = 0;
        roster.register(registration("n1", "s1", "h1"), "a1", t);
        for (int i = 0; i < 30; i++) {
            t += 1_000 * MS;
            NodeLease.Granted g = assertInstanceOf(NodeLease.Granted.class, roster.renew("n1", "s1", t));
            assertEquals(6_000, g.ttlMillis());
            assertEquals(List.of(), roster.expire(t + 8_999 * MS, Instant.now()));
        }
    }

    @Test
    void aLostNodeRenewingIsToldItWasLostAndAnotherSessionToRegister() {
        roster.register(registration("n1", "s1", "h1"), "a1", 0);
        roster.renew("n1", "s1", 0);
        roster.expire(10_000 * MS, Instant.now());
        NodeLease.Revoked lost = assertInstanceOf(NodeLease.Revoked.class, roster.renew("n1", "s1", 11_000 * MS));
        assertTrue(lost.lost(), lost.reason());
        NodeLease.Revoked stranger = assertInstanceOf(NodeLease.Revoked.class, roster.renew("n2", "s9", 0));
        assertFalse(stranger.lost());
    }

    @Test
    void aSecondRuntimeWithTheNameIsRefusedWhileTheHolderRenews() {
        roster.register(registration("n1", "s1", "h1"), "a1", 0);
        roster.renew("n1", "s1", 2_000 * MS);
        NodeRoster.Refused refused = assertInstanceOf(NodeRoster.Refused.class,
                roster.register(registration("n1", "s2", "h1"), "a2", 2_500 * MS));
        assertFalse(refused.retry());
        assertTrue(refused.reason().contains("in use by the node runtime at a1"), refused.reason());
        assertEquals("s1", roster.entry("n1").orElseThrow().session, "the running one keeps the name");
        assertInstanceOf(NodeLease.Granted.class, roster.renew("n1", "s1", 3_000 * MS));
        assertInstanceOf(NodeLease.Revoked.class, roster.renew("n1", "s2", 3_000 * MS));
    }

    @Test
    void aRuntimeOnTheSameHostTakesOverOnceTheHolderStoppedRenewing() {
        roster.register(registration("n1", "s1", "h1"), "a1", 0);
        roster.renew("n1", "s1", 0);
        NodeRoster.TookOver took = assertInstanceOf(NodeRoster.TookOver.class,
                roster.register(registration("n1", "s2", "h1"), "a2", 4_000 * MS));
        assertEquals("a1", took.previousAddress());
        assertInstanceOf(NodeLease.Granted.class, roster.renew("n1", "s2", 4_100 * MS));
        assertEquals(List.of(), roster.expire(12_000 * MS, Instant.now()), "the lease went on");
    }

    @Test
    void aRuntimeOnAnotherHostWaitsUntilTheNameIsLost() {
        roster.register(registration("n1", "s1", "h1"), "a1", 0);
        roster.renew("n1", "s1", 0);
        NodeRoster.Refused wait = assertInstanceOf(NodeRoster.Refused.class,
                roster.register(registration("n1", "s2", "h2"), "a2", 4_000 * MS));
        assertTrue(wait.retry(), wait.reason());
        roster.expire(9_500 * MS, Instant.now());
        NodeRoster.Joined joined = assertInstanceOf(NodeRoster.Joined.class,
                roster.register(registration("n1", "s2", "h2"), "a2", 10_000 * MS));
        assertTrue(joined.rejoined());
    }

    @Test
    void aNodeKnownFromBeforeARestartHasTheRejoinGrace() {
        roster.known("n1", 0);
        assertEquals(List.of(), roster.expire(29_000 * MS, Instant.now()));
        assertEquals(1, roster.expire(30_001 * MS, Instant.now()).size());
    }

    @Test
    void readinessNeedsARecentRenewalAndAReconcile() {
        NodeRoster.Entry e = ((NodeRoster.Joined) roster.register(registration("n1", "s1", "h1"), "a1", 0)).entry();
        roster.refreshReadiness(e, 0);
        assertEquals(NodeRoster.State.NotReady, e.state, "no lease yet");
        roster.renew("n1", "s1", 100 * MS);
        roster.refreshReadiness(e, 200 * MS);
        assertTrue(e.notReadyReason.contains("reconciles"), e.notReadyReason);
        e.reconciled = true;
        assertTrue(roster.refreshReadiness(e, 200 * MS));
        assertEquals(NodeRoster.State.Ready, e.state);
        assertTrue(roster.refreshReadiness(e, 3_200 * MS));
        assertEquals(NodeRoster.State.NotReady, e.state);
        assertTrue(e.notReadyReason.contains("overdue"), e.notReadyReason);
        roster.renew("n1", "s1", 3_300 * MS);
        assertTrue(roster.refreshReadiness(e, 3_300 * MS));
        assertEquals(NodeRoster.State.Ready, e.state);
        roster.register(registration("n1", "s2", "h1"), "a2", 7_000 * MS); // takes over: a new run reconciles first
        roster.refreshReadiness(e, 7_000 * MS);
        assertEquals(NodeRoster.State.NotReady, e.state);
    }
}
