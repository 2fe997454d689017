package dev.vireo.protocol.node;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.vireo.protocol.CborSerializable;
import dev.vireo.protocol.vm.MigrationPolicy;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import dev.vireo.protocol.vm.VmId;

/**
 * What the VM entity tells a node agent to do with a VM's libvirt domain. Every command carries the
 * entity's incarnation: the agent stamps it into the domain's metadata and into every report, which is
 * how stale work is fenced off. Agents answer with {@link NodeReport}s, never with replies.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = NodeAgentCommand.StartDomain.class, name = "StartDomain"),
        @JsonSubTypes.Type(value = NodeAgentCommand.StopDomain.class, name = "StopDomain"),
        @JsonSubTypes.Type(value = NodeAgentCommand.PauseDomain.class, name = "PauseDomain"),
        @JsonSubTypes.Type(value = NodeAgentCommand.ResumeDomain.class, name = "ResumeDomain"),
        @JsonSubTypes.Type(value = NodeAgentCommand.EnsureDomain.class, name = "EnsureDomain"),
        @JsonSubTypes.Type(value = NodeAgentCommand.RemoveDomain.class, name = "RemoveDomain"),
        @JsonSubTypes.Type(value = NodeAgentCommand.DeleteVmFiles.class, name = "DeleteVmFiles"),
        @JsonSubTypes.Type(value = NodeAgentCommand.PrepareMigration.class, name = "PrepareMigration"),
        @JsonSubTypes.Type(value = NodeAgentCommand.MigrateDomain.class, name = "MigrateDomain"),
        @JsonSubTypes.Type(value = NodeAgentCommand.CancelMigration.class, name = "CancelMigration"),
        @JsonSubTypes.Type(value = NodeAgentCommand.TakeSnapshot.class, name = "TakeSnapshot"),
        @JsonSubTypes.Type(value = NodeAgentCommand.RestoreSnapshot.class, name = "RestoreSnapshot"),
        @JsonSubTypes.Type(value = NodeAgentCommand.DeleteSnapshot.class, name = "DeleteSnapshot")
})
public sealed interface NodeAgentCommand extends CborSerializable {

    /** The node this command is for. */
    String node();

    VmId vm();

    String requestId();

    /** What the command asks for, as a failure report names it. */
    NodeAction action();

    /**
     * Define (if needed) and start the domain. Idempotent: a domain of this incarnation that already
     * runs is reported as started again.
     */
    record StartDomain(String node, VmId vm, String uid, long incarnation, VirtualMachineSpec spec,
                       String requestId) implements NodeAgentCommand {
        @Override
        public NodeAction action() {
            return NodeAction.StartDomain;
        }
    }

    /**
     * Stop the domain: graceful (ACPI) for {@code gracePeriodSeconds}, then destroy; {@code force}
     * destroys at once. Reported as {@link NodeReport.DomainStopped}; a domain that is already gone
     * is reported stopped too.
     */
    record StopDomain(String node, VmId vm, long incarnation, boolean force, int gracePeriodSeconds,
                      String requestId) implements NodeAgentCommand {
        @Override
        public NodeAction action() {
            return NodeAction.StopDomain;
        }
    }

    record PauseDomain(String node, VmId vm, long incarnation, String requestId) implements NodeAgentCommand {
        @Override
        public NodeAction action() {
            return NodeAction.PauseDomain;
        }
    }

    record ResumeDomain(String node, VmId vm, long incarnation, String requestId) implements NodeAgentCommand {
        @Override
        public NodeAction action() {
            return NodeAction.ResumeDomain;
        }
    }

    /**
     * Sent by an entity after it recovered with its VM placed on this node: the agent reports what it
     * actually has ({@link NodeReport.DomainFound} or {@link NodeReport.DomainMissing}); it never starts
     * anything because of this command.
     */
    record EnsureDomain(String node, VmId vm, long incarnation, String requestId) implements NodeAgentCommand {
        @Override
        public NodeAction action() {
            return NodeAction.EnsureDomain;
        }
    }

    /**
     * Destroy and undefine the domain if it carries this incarnation (fencing of a stale or orphaned
     * domain); {@code incarnation < 0} removes it whatever its incarnation (its VM no longer exists).
     * Answered with {@link NodeReport.DomainStopped} (reason Removed).
     */
    record RemoveDomain(String node, VmId vm, long incarnation, String requestId) implements NodeAgentCommand {
        @Override
        public NodeAction action() {
            return NodeAction.RemoveDomain;
        }
    }

    /**
     * Sent after {@code VmDeleted}: remove the files (disk overlays, console log) of the VM {@code uid} on
     * the node. The base images are never touched. Fenced by the uid: files that a VM created again under
     * the same name has made its own stay, however late this command arrives. Nothing is reported on
     * success, nor when the files are another VM's; a failure is reported as {@link NodeReport.ActionFailed}
     * with incarnation 0. A domain of the VM that still runs keeps its files: remove the domain first.
     */
    record DeleteVmFiles(String node, VmId vm, String uid, String requestId) implements NodeAgentCommand {
        @Override
        public NodeAction action() {
            return NodeAction.DeleteVmFiles;
        }
    }

    /**
     * To the target of a migration: make the VM's files ready for the incoming domain (fresh overlays on this
     * node's copy of the base images, an empty console log) and say where they are and where to send the data.
     * Answered with {@link NodeReport.MigrationPrepared}, or {@link NodeReport.ActionFailed}.
     */
    record PrepareMigration(String node, VmId vm, String uid, long incarnation, VirtualMachineSpec spec,
                            String migrationId, String requestId) implements NodeAgentCommand {
        @Override
        public NodeAction action() {
            return NodeAction.PrepareMigration;
        }
    }

    /**
     * To the source: live-migrate the domain of {@code incarnation} to {@code target}'s libvirt daemon, where it
     * runs under {@code targetIncarnation} with the files {@code prepared} names.
     * Reports {@link NodeReport.MigrationProgressed} while it runs, then {@link NodeReport.MigrationSucceeded}
     * or {@link NodeReport.MigrationAborted}.
     */
    record MigrateDomain(String node, VmId vm, long incarnation, String migrationId, String target,
                         long targetIncarnation, NodeReport.MigrationPrepared prepared,
                         MigrationPolicy policy, VirtualMachineSpec spec, String requestId) implements NodeAgentCommand {
        @Override
        public NodeAction action() {
            return NodeAction.MigrateDomain;
        }
    }

    /**
     * To the source: abort the migration {@code migrationId} if it still runs (or before it starts). Not queued
     * behind the migration. The migration's own report says how it ended.
     */
    record CancelMigration(String node, VmId vm, long incarnation, String migrationId, String requestId)
            implements NodeAgentCommand {
        @Override
        public NodeAction action() {
            return NodeAction.CancelMigration;
        }
    }

    /**
     * Snapshot the VM's disks (and, with {@code memory}, its memory) into files of its own in the VM's directory.
     * A running domain ({@code online}) is saved, its overlays copied, and restored from the saved state; a stopped
     * one has its overlays copied. Answered with {@link NodeReport.SnapshotTaken} or {@link NodeReport.ActionFailed};
     * a snapshot already complete on the node is reported as taken again.
     */
    record TakeSnapshot(String node, VmId vm, long incarnation, String snapshot, boolean memory, boolean online,
                        String requestId) implements NodeAgentCommand {
        @Override
        public NodeAction action() {
            return NodeAction.TakeSnapshot;
        }
    }

    /**
     * Bring the VM's disks back to {@code snapshot}; {@code policy} says what becomes of a running domain. Answered
     * with {@link NodeReport.SnapshotRestored} or {@link NodeReport.ActionFailed} (and, if the domain could not be
     * brought back, {@link NodeReport.DomainCrashed}). {@code from}: the node that holds the snapshot's files when
     * it is not this one (the VM migrated since it was taken): they are fetched from there first; null when here.
     */
    record RestoreSnapshot(String node, VmId vm, String uid, long incarnation, String snapshot,
                           dev.vireo.protocol.vm.RestorePolicy policy, VirtualMachineSpec spec, String requestId,
                           String from)
            implements NodeAgentCommand {
        @Override
        public NodeAction action() {
            return NodeAction.RestoreSnapshot;
        }
    }

    /** Remove the files of {@code snapshot}; nothing is reported unless it fails. */
    record DeleteSnapshot(String node, VmId vm, long incarnation, String snapshot, String requestId)
            implements NodeAgentCommand {
        @Override
        public NodeAction action() {
            return NodeAction.DeleteSnapshot;
        }
    }
}
