package dev.vireo.protocol.vm;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.vireo.protocol.CborSerializable;
import dev.vireo.protocol.TypeNames;
import dev.vireo.protocol.node.DomainState;
import java.util.Map;

/**
 * The history of a VM. The type names are API (history, event stream): add new ones, never rename.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = VmEvent.VmCreated.class, name = "VmCreated"),
        @JsonSubTypes.Type(value = VmEvent.SpecUpdated.class, name = "SpecUpdated"),
        @JsonSubTypes.Type(value = VmEvent.RunStrategyChanged.class, name = "RunStrategyChanged"),
        @JsonSubTypes.Type(value = VmEvent.StartRequested.class, name = "StartRequested"),
        @JsonSubTypes.Type(value = VmEvent.Scheduled.class, name = "Scheduled"),
        @JsonSubTypes.Type(value = VmEvent.Unschedulable.class, name = "Unschedulable"),
        @JsonSubTypes.Type(value = VmEvent.DomainStarted.class, name = "DomainStarted"),
        @JsonSubTypes.Type(value = VmEvent.StopRequested.class, name = "StopRequested"),
        @JsonSubTypes.Type(value = VmEvent.DomainStopped.class, name = "DomainStopped"),
        @JsonSubTypes.Type(value = VmEvent.DomainCrashed.class, name = "DomainCrashed"),
        @JsonSubTypes.Type(value = VmEvent.Paused.class, name = "Paused"),
        @JsonSubTypes.Type(value = VmEvent.Unpaused.class, name = "Unpaused"),
        @JsonSubTypes.Type(value = VmEvent.RestartRequested.class, name = "RestartRequested"),
        @JsonSubTypes.Type(value = VmEvent.NodeLost.class, name = "NodeLost"),
        @JsonSubTypes.Type(value = VmEvent.DeleteRequested.class, name = "DeleteRequested"),
        @JsonSubTypes.Type(value = VmEvent.VmDeleted.class, name = "VmDeleted"),
        @JsonSubTypes.Type(value = VmEvent.StaleReportIgnored.class, name = "StaleReportIgnored"),
        @JsonSubTypes.Type(value = VmEvent.NodeActionFailed.class, name = "NodeActionFailed"),
        @JsonSubTypes.Type(value = VmEvent.NodeUnreachable.class, name = "NodeUnreachable"),
        @JsonSubTypes.Type(value = VmEvent.NodeReachable.class, name = "NodeReachable"),
        @JsonSubTypes.Type(value = VmEvent.MigrationRequested.class, name = "MigrationRequested"),
        @JsonSubTypes.Type(value = VmEvent.MigrationTargetChosen.class, name = "MigrationTargetChosen"),
        @JsonSubTypes.Type(value = VmEvent.MigrationStarted.class, name = "MigrationStarted"),
        @JsonSubTypes.Type(value = VmEvent.MigrationProgressed.class, name = "MigrationProgressed"),
        @JsonSubTypes.Type(value = VmEvent.MigrationCancelRequested.class, name = "MigrationCancelRequested"),
        @JsonSubTypes.Type(value = VmEvent.MigrationCompleted.class, name = "MigrationCompleted"),
        @JsonSubTypes.Type(value = VmEvent.MigrationFailed.class, name = "MigrationFailed"),
        @JsonSubTypes.Type(value = VmEvent.MigrationCancelled.class, name = "MigrationCancelled"),
        @JsonSubTypes.Type(value = VmEvent.SnapshotRequested.class, name = "SnapshotRequested"),
        @JsonSubTypes.Type(value = VmEvent.SnapshotCompleted.class, name = "SnapshotCompleted"),
        @JsonSubTypes.Type(value = VmEvent.SnapshotFailed.class, name = "SnapshotFailed"),
        @JsonSubTypes.Type(value = VmEvent.SnapshotDeleted.class, name = "SnapshotDeleted"),
        @JsonSubTypes.Type(value = VmEvent.RestoreRequested.class, name = "RestoreRequested"),
        @JsonSubTypes.Type(value = VmEvent.RestoreCompleted.class, name = "RestoreCompleted"),
        @JsonSubTypes.Type(value = VmEvent.RestoreFailed.class, name = "RestoreFailed")
})
public sealed interface VmEvent extends CborSerializable {

    EventMeta meta();

    /** The event's type as the API names it (history, event stream, logs): its name in the list above. */
    static String typeOf(VmEvent event) {
        return TypeNames.of(VmEvent.class).get(event.getClass());
    }

    /** The VM was created (again, after a delete: the same log continues with a new uid). */
    record VmCreated(EventMeta meta, String uid, Map<String, String> labels, VirtualMachineSpec spec) implements VmEvent {
    }

    record SpecUpdated(EventMeta meta, Map<String, String> labels, VirtualMachineSpec spec) implements VmEvent {
    }

    record RunStrategyChanged(EventMeta meta, RunStrategy from, RunStrategy to) implements VmEvent {
    }

    /** The VM should run: it now waits for a placement. {@code reason} says why (see {@link StartReason}). */
    record StartRequested(EventMeta meta, StartReason reason) implements VmEvent {
    }

    /** The scheduler placed the VM; {@code incarnation} is the new placement's fencing token. */
    record Scheduled(EventMeta meta, String node, long incarnation) implements VmEvent {
    }

    record Unschedulable(EventMeta meta, String reason) implements VmEvent {
    }

    record DomainStarted(EventMeta meta, String node, long incarnation) implements VmEvent {
    }

    record StopRequested(EventMeta meta, boolean force) implements VmEvent {
    }

    record DomainStopped(EventMeta meta, String node, long incarnation, String reason) implements VmEvent {
    }

    /**
     * The domain ended unasked. {@code restart} says whether the runStrategy brings it back, after
     * {@code backoffSeconds}; {@code crashCount} counts crashes in a row (CrashLoopBackOff).
     */
    record DomainCrashed(EventMeta meta, String node, long incarnation, String reason, int crashCount,
                         boolean restart, long backoffSeconds) implements VmEvent {
    }

    /** {@code reportedByNode}: the node saw the guest paused (rather than Vireo pausing it). */
    record Paused(EventMeta meta, boolean reportedByNode) implements VmEvent {
    }

    record Unpaused(EventMeta meta, boolean reportedByNode) implements VmEvent {
    }

    /** Stop, then start again with the same runStrategy. */
    record RestartRequested(EventMeta meta) implements VmEvent {
    }

    /** The VM's node left the cluster: its placement is gone; the runStrategy decides what next. */
    record NodeLost(EventMeta meta, String node, long incarnation) implements VmEvent {
    }

    /** Delete of a VM that has a domain: it is stopped first, then {@link VmDeleted}. */
    record DeleteRequested(EventMeta meta) implements VmEvent {
    }

    /** The VM is gone; its history stays. */
    record VmDeleted(EventMeta meta, String uid) implements VmEvent {
    }

    /** A report of another incarnation (or for a VM that is gone): recorded, and otherwise ignored. */
    record StaleReportIgnored(EventMeta meta, String node, long incarnation, long currentIncarnation,
                              String report, String detail) implements VmEvent {
    }

    /** The node could not carry out a command (libvirt's message). */
    record NodeActionFailed(EventMeta meta, String node, long incarnation, String action, String message)
            implements VmEvent {
    }

    /** The VM's node lost its hypervisor: the VM is Unknown until the node reports on its domain again. */
    record NodeUnreachable(EventMeta meta, String node, long incarnation) implements VmEvent {
    }

    /** The node is back and still runs the VM's domain ({@code domainState} Running or Paused). */
    record NodeReachable(EventMeta meta, String node, long incarnation, DomainState domainState) implements VmEvent {
    }

    /** Every step of a live migration names its migration. */
    sealed interface MigrationEvent extends VmEvent {
        String migrationId();
    }

    /** A live migration of the VM running on {@code source} was asked for; {@code requestedTarget} may be null. */
    record MigrationRequested(EventMeta meta, String migrationId, String source, String requestedTarget,
                              MigrationPolicy policy) implements MigrationEvent {
    }

    /** The scheduler reserved {@code target} for the VM's placement {@code targetIncarnation}. */
    record MigrationTargetChosen(EventMeta meta, String migrationId, String target, long targetIncarnation)
            implements MigrationEvent {
    }

    /** The target holds the VM's files; the source's libvirt starts moving the domain. */
    record MigrationStarted(EventMeta meta, String migrationId, String source, String target, long targetIncarnation)
            implements MigrationEvent {
    }

    record MigrationProgressed(EventMeta meta, String migrationId, MigrationProgress progress)
            implements MigrationEvent {
    }

    record MigrationCancelRequested(EventMeta meta, String migrationId) implements MigrationEvent {
    }

    /**
     * The VM runs on {@code target} under {@code incarnation}, its source domain is gone. {@code downtimeMs}: how
     * long the guest was paused at switchover, as libvirt measured it (-1: not known).
     */
    record MigrationCompleted(EventMeta meta, String migrationId, String source, String target, long incarnation,
                              long downtimeMs, long durationMs, long dataProcessed) implements MigrationEvent {
    }

    /** The VM still runs on the source; the target's reservation is released. */
    record MigrationFailed(EventMeta meta, String migrationId, String reason) implements MigrationEvent {
    }

    /** Cancelled as asked: the VM still runs on the source; the target's reservation is released. */
    record MigrationCancelled(EventMeta meta, String migrationId) implements MigrationEvent {
    }

    /** Every step of a snapshot or a restore names its snapshot. */
    sealed interface SnapshotEvent extends VmEvent {
        String snapshot();
    }

    /**
     * A snapshot was asked for, to be taken on {@code node}: of the running guest ({@code online}), its memory too
     * when {@code memory}; of a stopped VM, its disks only.
     */
    record SnapshotRequested(EventMeta meta, String snapshot, boolean memory, boolean online, String node)
            implements SnapshotEvent {
    }

    /** The snapshot's files are complete: {@code sizeBytes}; the guest was paused {@code pauseMs} (-1: not known). */
    record SnapshotCompleted(EventMeta meta, String snapshot, long sizeBytes, long pauseMs, long durationMs)
            implements SnapshotEvent {
    }

    record SnapshotFailed(EventMeta meta, String snapshot, String reason) implements SnapshotEvent {
    }

    /** The snapshot's record is gone, its files removed from {@code node}; {@code reason}: asked, or the retention limit. */
    record SnapshotDeleted(EventMeta meta, String snapshot, String node, String reason) implements SnapshotEvent {
    }

    /** A restore to {@code snapshot} on {@code node}, done as {@code policy} says. */
    /**
     * A restore on {@code node}; {@code from}: the node that holds the snapshot's files when it is another one (the VM
     * migrated since the snapshot): they are fetched from there first. Null when the files are on {@code node}.
     */
    record RestoreRequested(EventMeta meta, String snapshot, String node, RestorePolicy policy, String from)
            implements SnapshotEvent {
    }

    /** The VM is back at the snapshot; the guest was down {@code pauseMs}. */
    record RestoreCompleted(EventMeta meta, String snapshot, RestorePolicy policy, long pauseMs, long durationMs)
            implements SnapshotEvent {
    }

    record RestoreFailed(EventMeta meta, String snapshot, String reason) implements SnapshotEvent {
    }

    /** Why a VM is (re)started. */
    enum StartReason {
        /** A user asked (start, or a manifest whose runStrategy runs it). */
        Requested,
        /** The runStrategy brought it back after it stopped. */
        RunStrategy,
        /** Second half of a restart. */
        Restart,
        /** The back-off after a crash expired. */
        CrashLoopBackOff,
        /** Its node was lost. */
        NodeLost
    }
}
