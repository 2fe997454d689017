package dev.vireo.protocol.vm;

import static dev.vireo.protocol.vm.VmFixture.ID;
import static dev.vireo.protocol.vm.VmFixture.types;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.protocol.node.NodeAction;
import dev.vireo.protocol.node.NodeAgentCommand;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.vm.VmEvent.*;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Snapshots and restores in the VM's log: each requested, then completed or failed, by whom and for which request. */
class SnapshotLifecycleTest {

    VmCommand.TakeSnapshot snapshot(VmFixture f, String name, boolean memory) {
        return new VmCommand.TakeSnapshot(f.rid(), VmFixture.USER, name, memory);
    }

    VmCommand.RestoreSnapshot restore(VmFixture f, String name) {
        return new VmCommand.RestoreSnapshot(f.rid(), VmFixture.USER, name);
    }

    VmCommand.ReportFromNode taken(VmFixture f, String name) {
        return f.report(new NodeReport.SnapshotTaken(ID, "node-a", f.state.incarnation(), name, 4096, 120, 900));
    }

    VmCommand.ReportFromNode restored(VmFixture f, String name) {
        return f.report(new NodeReport.SnapshotRestored(ID, "node-a", f.state.incarnation(), name, 300, 800));
    }

    NodeAgentCommand toNode(VmFixture f) {
        return f.lastEffects.stream().filter(VmEffect.ToNode.class::isInstance).map(e -> ((VmEffect.ToNode) e).command())
                .findFirst().orElseThrow();
    }

    VmFixture withSnapshot(String name, boolean memory) {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        f.run(snapshot(f, name, memory));
        f.run(taken(f, name));
        return f;
    }

    @Test
    void aSnapshotOfARunningVmIsRequestedOnItsNodeAndCompletedWithItsPrincipalAndRequest() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        VmCommand.TakeSnapshot take = snapshot(f, "s1", true);
        List<VmEvent> events = f.run(take);
        SnapshotRequested requested = assertInstanceOf(SnapshotRequested.class, events.get(0));
        assertEquals(VmFixture.USER, requested.meta().principal());
        assertEquals(take.requestId(), requested.meta().requestId());
        assertTrue(requested.memory());
        assertTrue(requested.online());
        NodeAgentCommand.TakeSnapshot command = assertInstanceOf(NodeAgentCommand.TakeSnapshot.class, toNode(f));
        assertEquals("node-a", command.node());
        assertEquals(Snapshot.Phase.InProgress, f.state.snapshots().find("s1").orElseThrow().phase());
        assertEquals(Phase.Running, f.state.phase());

        assertEquals(List.of(SnapshotCompleted.class), types(f.run(taken(f, "s1"))));
        Snapshot s1 = f.state.snapshots().find("s1").orElseThrow();
        assertEquals(Snapshot.Phase.Succeeded, s1.phase());
        assertEquals(4096, s1.sizeBytes());
        assertEquals(120, s1.pauseMs());
        assertNull(f.state.snapshots().pending());
    }

    @Test
    void aFailedSnapshotIsRecordedWithTheNodesReason() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        f.run(snapshot(f, "s1", false));
        List<VmEvent> events = f.run(f.actionFailed("TakeSnapshot"));
        SnapshotFailed failed = assertInstanceOf(SnapshotFailed.class, events.get(0));
        assertTrue(failed.reason().contains("libvirt said no"), failed.reason());
        assertEquals(Snapshot.Phase.Failed, f.state.snapshots().find("s1").orElseThrow().phase());
        assertEquals(Phase.Running, f.state.phase());
    }

    @Test
    void aStoppedVmIsSnapshottedOnTheNodeThatHoldsItsDisksWithoutMemory() {
        VmFixture f = new VmFixture();
        VirtualMachineSpec s = VmFixture.spec(RunStrategy.Always);
        f.run(new VmCommand.Create(f.rid(), VmFixture.USER, "uid-1", java.util.Map.of(), new VirtualMachineSpec(
                s.runStrategy(), s.cpu(), s.memory(), s.boot(), List.of(new VirtualMachineSpec.Disk("root",
                "/images/disk.qcow2")), s.nodeSelector(), s.evictionStrategy(), s.terminationGracePeriodSeconds())));
        f.runOn("node-a");
        f.run(f.stop());
        f.run(f.stopped("Shutdown"));
        assertEquals(Phase.Stopped, f.state.phase());
        SnapshotRequested requested = assertInstanceOf(SnapshotRequested.class, f.run(snapshot(f, "cold", true)).get(0));
        assertFalse(requested.memory());
        assertFalse(requested.online());
        assertEquals("node-a", requested.node());
        f.run(taken(f, "cold")); // a stopped VM has no placement: the pending snapshot routes the report
        assertEquals(Snapshot.Phase.Succeeded, f.state.snapshots().find("cold").orElseThrow().phase());
    }

    @Test
    void aVmThatNeverRanHasNothingToSnapshot() {
        VmFixture f = new VmFixture();
        f.create(RunStrategy.Halted);
        Rejection r = f.reject(snapshot(f, "s1", false));
        assertEquals(Rejection.Code.IllegalTransition, r.code());
        assertTrue(r.message().contains("never run"), r.message());
    }

    @Test
    void aDuplicateNameIsAConflictNamingTheField() {
        VmFixture f = withSnapshot("s1", false);
        Rejection r = f.reject(snapshot(f, "s1", false));
        assertEquals(Rejection.Code.AlreadyExists, r.code());
        assertEquals("name", r.field());
    }

    @Test
    void oneSnapshotOrRestoreAtATimeAndNoMigrationMeanwhile() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        f.run(snapshot(f, "s1", false));
        assertTrue(f.reject(snapshot(f, "s2", false)).message().contains("snapshot s1 is being taken"));
        assertTrue(f.reject(restore(f, "s1")).message().contains("being taken"));
        assertTrue(f.reject(new VmCommand.Migrate(f.rid(), VmFixture.USER, "m1", null, MigrationPolicy.DEFAULT))
                .message().contains("snapshot s1 is being taken"));
    }

    @Test
    void aMigratingOrDeletingVmRefusesSnapshotsAndRestoresWithTheReason() {
        VmFixture f = withSnapshot("s1", false);
        f.run(new VmCommand.Migrate(f.rid(), VmFixture.USER, "m1", "node-b", MigrationPolicy.DEFAULT));
        Rejection migrating = f.reject(snapshot(f, "s2", false));
        assertEquals(Rejection.Code.IllegalTransition, migrating.code());
        assertTrue(migrating.message().contains("Migrating"), migrating.message());
        assertTrue(f.reject(restore(f, "s1")).message().contains("cancel the migration"));

        VmFixture g = withSnapshot("s1", false);
        g.run(g.delete());
        assertTrue(g.reject(snapshot(g, "s2", false)).message().contains("being deleted"));
        assertTrue(g.reject(restore(g, "s1")).message().contains("being deleted"));
    }

    @Test
    void anUnknownSnapshotIsNotFound() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        assertEquals(Rejection.Code.NotFound, f.reject(restore(f, "nope")).code());
        assertEquals(Rejection.Code.NotFound, f.reject(new VmCommand.DeleteSnapshot(f.rid(), VmFixture.USER, "nope")).code());
    }

    @Test
    void restoreOfARunningVmWithMemoryResumesFromItAndIsRecordedWithItsPolicy() {
        VmFixture f = withSnapshot("s1", true);
        RestoreRequested requested = assertInstanceOf(RestoreRequested.class, f.run(restore(f, "s1")).get(0));
        assertEquals(RestorePolicy.ResumeFromMemory, requested.policy());
        NodeAgentCommand.RestoreSnapshot command = assertInstanceOf(NodeAgentCommand.RestoreSnapshot.class, toNode(f));
        assertEquals(RestorePolicy.ResumeFromMemory, command.policy());
        RestoreCompleted done = assertInstanceOf(RestoreCompleted.class, f.run(restored(f, "s1")).get(0));
        assertEquals(RestorePolicy.ResumeFromMemory, done.policy());
        assertEquals(Phase.Running, f.state.phase());
        assertNull(f.state.snapshots().pending());
    }

    @Test
    void restoreOfARunningVmWithoutMemoryStopsRestoresAndStartsIt() {
        VmFixture f = withSnapshot("s1", false);
        assertEquals(RestorePolicy.StopRestoreStart,
                assertInstanceOf(RestoreRequested.class, f.run(restore(f, "s1")).get(0)).policy());
    }

    @Test
    void restoreOfAStoppedVmRestoresItsDisksOnlyAndAFailureIsRecorded() {
        VmFixture f = withSnapshot("s1", true); // a snapshot with memory: a stopped VM takes its disks only
        f.run(f.stop());
        f.run(f.stopped("Shutdown"));
        assertEquals(RestorePolicy.DisksOnly,
                assertInstanceOf(RestoreRequested.class, f.run(restore(f, "s1")).get(0)).policy());
        RestoreFailed failed = assertInstanceOf(RestoreFailed.class, f.run(f.report(new NodeReport.ActionFailed(ID,
                "node-a", f.state.incarnation(), NodeAction.RestoreSnapshot, "disk full"))).get(0));
        assertTrue(failed.reason().contains("disk full"));
        assertEquals(Phase.Stopped, f.state.phase());
    }

    @Test
    void aSnapshotTakenBeforeAMigrationIsRestoredWhereTheVmRunsFetchedFromItsNode() {
        VmFixture f = withSnapshot("s1", false);
        f.run(new VmCommand.Migrate(f.rid(), VmFixture.USER, "m1", "node-b", MigrationPolicy.DEFAULT));
        f.run(new VmCommand.MigrationTargetReserved(f.rid(), "m1", "node-b", 2));
        f.run(f.report(new NodeReport.MigrationPrepared(ID, "node-b", 2, "m1", java.util.Map.of(), "qemu:///b",
                "127.0.0.1", 1, 2)));
        f.run(f.report(new NodeReport.MigrationSucceeded(ID, "node-a", 1, "m1", 10, 100, 1000)));
        assertEquals("node-b", f.state.node());
        assertEquals("node-b", f.state.snapshots().home());

        RestoreRequested requested = assertInstanceOf(RestoreRequested.class, f.run(restore(f, "s1")).get(0));
        assertEquals("node-b", requested.node(), "restored where the VM runs");
        assertEquals("node-a", requested.from(), "the files come from where the snapshot was taken");
        NodeAgentCommand.RestoreSnapshot command = assertInstanceOf(NodeAgentCommand.RestoreSnapshot.class, toNode(f));
        assertEquals("node-b", command.node());
        assertEquals("node-a", command.from());
        // node-a's word does not end it: the restore is node-b's
        assertTrue(f.run(f.report(new NodeReport.SnapshotRestored(ID, "node-a", f.state.incarnation(), "s1", 1, 2)))
                .stream().noneMatch(RestoreCompleted.class::isInstance));
        assertInstanceOf(RestoreCompleted.class, f.run(f.report(new NodeReport.SnapshotRestored(ID, "node-b",
                f.state.incarnation(), "s1", 300, 800))).get(0));
        assertEquals("node-a", f.state.snapshots().find("s1").orElseThrow().node());

        // deleting it deletes the files where it was taken and the copy the restore fetched
        f.run(new VmCommand.DeleteSnapshot(f.rid(), VmFixture.USER, "s1"));
        assertEquals(java.util.List.of("node-a", "node-b"), f.lastEffects.stream()
                .filter(VmEffect.ToNode.class::isInstance).map(e -> ((VmEffect.ToNode) e).command())
                .filter(NodeAgentCommand.DeleteSnapshot.class::isInstance).map(NodeAgentCommand::node).toList());
    }

    @Test
    void aSnapshotsFailureSettledLateDoesNotEndARestoreUnderWay() {
        VmFixture f = withSnapshot("s1", true);
        f.run(restore(f, "s1"));
        f.run(f.report(new NodeReport.ActionFailed(ID, "node-a", f.state.incarnation(), NodeAction.TakeSnapshot,
                "the node runtime of node node-a stopped while it took snapshot s0")));
        assertEquals(Snapshots.Pending.Kind.Restore, f.state.snapshots().pending().kind(), "still restoring");
        assertInstanceOf(RestoreCompleted.class, f.run(restored(f, "s1")).get(0));
    }

    @Test
    void deletingASnapshotRemovesItsRecordAndTellsItsNode() {
        VmFixture f = withSnapshot("s1", false);
        SnapshotDeleted deleted = assertInstanceOf(SnapshotDeleted.class,
                f.run(new VmCommand.DeleteSnapshot(f.rid(), VmFixture.USER, "s1")).get(0));
        assertEquals("node-a", deleted.node());
        assertInstanceOf(NodeAgentCommand.DeleteSnapshot.class, toNode(f));
        assertTrue(f.state.snapshots().find("s1").isEmpty());
    }

    @Test
    void beyondTheRetentionLimitTheOldestSnapshotIsDeletedAndRecorded() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        int limit = VmPolicy.DEFAULT.retainedSnapshots();
        for (int i = 1; i <= limit; i++) {
            f.run(snapshot(f, "s" + i, false));
            f.run(taken(f, "s" + i));
        }
        f.run(snapshot(f, "newest", false));
        List<VmEvent> events = f.run(taken(f, "newest"));
        assertEquals(List.of(SnapshotCompleted.class, SnapshotDeleted.class), types(events));
        SnapshotDeleted deleted = (SnapshotDeleted) events.get(1);
        assertEquals("s1", deleted.snapshot());
        assertTrue(deleted.reason().startsWith("retention"), deleted.reason());
        assertEquals(limit, f.state.snapshots().items().size());
    }

    @Test
    void aReportOfNoSnapshotUnderWayIsRecordedAsStale() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        assertEquals(List.of(StaleReportIgnored.class), types(f.run(taken(f, "ghost"))));
    }

    @Test
    void aVmRecoveredMidSnapshotAsksItsNodeAgain() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        f.run(snapshot(f, "s1", true));
        List<VmEffect> effects = f.decider.onRecovery(f.state, "recovery");
        assertTrue(effects.stream().anyMatch(e -> e instanceof VmEffect.ToNode t
                && t.command() instanceof NodeAgentCommand.TakeSnapshot s && s.memory()), effects.toString());
    }
}
