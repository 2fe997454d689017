package dev.vireo.protocol.node;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.vireo.protocol.CborSerializable;
import dev.vireo.protocol.vm.MigrationProgress;
import dev.vireo.protocol.vm.VmId;
import java.util.Map;

/**
 * What a node agent tells the VM entity about a domain. Each report carries the incarnation the
 * domain was started with; the entity records and ignores reports of any other incarnation.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = NodeReport.DomainStarted.class, name = "DomainStarted"),
        @JsonSubTypes.Type(value = NodeReport.DomainStopped.class, name = "DomainStopped"),
        @JsonSubTypes.Type(value = NodeReport.DomainCrashed.class, name = "DomainCrashed"),
        @JsonSubTypes.Type(value = NodeReport.DomainPaused.class, name = "DomainPaused"),
        @JsonSubTypes.Type(value = NodeReport.DomainResumed.class, name = "DomainResumed"),
        @JsonSubTypes.Type(value = NodeReport.DomainFound.class, name = "DomainFound"),
        @JsonSubTypes.Type(value = NodeReport.DomainMissing.class, name = "DomainMissing"),
        @JsonSubTypes.Type(value = NodeReport.ActionFailed.class, name = "ActionFailed"),
        @JsonSubTypes.Type(value = NodeReport.MigrationPrepared.class, name = "MigrationPrepared"),
        @JsonSubTypes.Type(value = NodeReport.MigrationProgressed.class, name = "MigrationProgressed"),
        @JsonSubTypes.Type(value = NodeReport.MigrationSucceeded.class, name = "MigrationSucceeded"),
        @JsonSubTypes.Type(value = NodeReport.MigrationAborted.class, name = "MigrationAborted"),
        @JsonSubTypes.Type(value = NodeReport.SnapshotTaken.class, name = "SnapshotTaken"),
        @JsonSubTypes.Type(value = NodeReport.SnapshotRestored.class, name = "SnapshotRestored")
})
public sealed interface NodeReport extends FromNode {

    VmId vm();

    String node();

    long incarnation();

    /** The report in a word, as the history names a report it ignored: DomainStarted, DomainFound(Paused), … */
    String describe();

    /** The domain runs (after a start, or found running). */
    record DomainStarted(VmId vm, String node, long incarnation) implements NodeReport {
        @Override
        public String describe() {
            return "DomainStarted";
        }
    }

    /** The domain is shut off. {@code reason}: Shutdown (guest or ACPI), Destroyed, or libvirt's word. */
    record DomainStopped(VmId vm, String node, long incarnation, String reason) implements NodeReport {
        @Override
        public String describe() {
            return "DomainStopped";
        }
    }

    /** The domain ended without being asked to (QEMU died, guest crashed). */
    record DomainCrashed(VmId vm, String node, long incarnation, String reason) implements NodeReport {
        @Override
        public String describe() {
            return "DomainCrashed";
        }
    }

    record DomainPaused(VmId vm, String node, long incarnation) implements NodeReport {
        @Override
        public String describe() {
            return "DomainPaused";
        }
    }

    record DomainResumed(VmId vm, String node, long incarnation) implements NodeReport {
        @Override
        public String describe() {
            return "DomainResumed";
        }
    }

    /**
     * A Vireo domain exists on the node (found by the agent's reconcile at start, or in answer to
     * {@link NodeAgentCommand.EnsureDomain}); {@code state} is Running, Paused or Stopped.
     */
    record DomainFound(VmId vm, String node, long incarnation, String uid, DomainState state) implements NodeReport {
        @Override
        public String describe() {
            return "DomainFound(" + state + ")";
        }
    }

    /** Answer to {@link NodeAgentCommand.EnsureDomain}: the node has no such domain. */
    record DomainMissing(VmId vm, String node, long incarnation) implements NodeReport {
        @Override
        public String describe() {
            return "DomainMissing";
        }
    }

    /** A command could not be carried out; {@code action} names the command, {@code message} libvirt's error. */
    record ActionFailed(VmId vm, String node, long incarnation, NodeAction action, String message)
            implements NodeReport {
        @Override
        public String describe() {
            return "ActionFailed";
        }
    }

    /**
     * From the target: the VM's files are ready. {@code files} names each file by its role ({@code console},
     * {@code disk:<name>} for an overlay, {@code image:<spec path>} for a base image or kernel) with its path on
     * this node; the incoming data goes to {@code address}, port {@code port} (memory) and {@code disksPort}
     * (disks), through this node's libvirt daemon at {@code libvirtUri}.
     */
    record MigrationPrepared(VmId vm, String node, long incarnation, String migrationId, Map<String, String> files,
                             String libvirtUri, String address, int port, int disksPort) implements NodeReport {
        @Override
        public String describe() {
            return "MigrationPrepared";
        }
    }

    /** From the source, while the migration job runs. */
    record MigrationProgressed(VmId vm, String node, long incarnation, String migrationId, MigrationProgress progress)
            implements NodeReport {
        @Override
        public String describe() {
            return "MigrationProgressed";
        }
    }

    /** From the source: the domain runs on the target, the source's copy is gone. */
    record MigrationSucceeded(VmId vm, String node, long incarnation, String migrationId, long downtimeMs,
                              long durationMs, long dataProcessed) implements NodeReport {
        @Override
        public String describe() {
            return "MigrationSucceeded";
        }
    }

    /** From the source: the migration ended without moving the domain, which still runs here. */
    record MigrationAborted(VmId vm, String node, long incarnation, String migrationId, boolean cancelled,
                            String reason) implements NodeReport {
        @Override
        public String describe() {
            return "MigrationAborted";
        }
    }

    /**
     * The snapshot's files are complete on the node: {@code sizeBytes} in all; the guest was paused
     * {@code pauseMs} (0 for a stopped VM, -1 when not known), the whole took {@code durationMs}.
     */
    record SnapshotTaken(VmId vm, String node, long incarnation, String snapshot, long sizeBytes, long pauseMs,
                         long durationMs) implements NodeReport {
        @Override
        public String describe() {
            return "SnapshotTaken";
        }
    }

    /** The VM's disks (and memory, by the restore's policy) are the snapshot's again; the guest was down {@code pauseMs}. */
    record SnapshotRestored(VmId vm, String node, long incarnation, String snapshot, long pauseMs, long durationMs)
            implements NodeReport {
        @Override
        public String describe() {
            return "SnapshotRestored";
        }
    }
}
