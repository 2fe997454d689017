package dev.vireo.protocol.vm;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.vireo.protocol.CborSerializable;
import dev.vireo.protocol.node.NodeReport;
import java.util.Map;

/**
 * What can be asked of a VM: by users (over HTTP, the CLI or Kubernetes) and by the system (scheduler,
 * node reports, timers). The entity adds the reply address; this part is plain data.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = VmCommand.Create.class, name = "Create"),
        @JsonSubTypes.Type(value = VmCommand.UpdateSpec.class, name = "UpdateSpec"),
        @JsonSubTypes.Type(value = VmCommand.Start.class, name = "Start"),
        @JsonSubTypes.Type(value = VmCommand.Stop.class, name = "Stop"),
        @JsonSubTypes.Type(value = VmCommand.Restart.class, name = "Restart"),
        @JsonSubTypes.Type(value = VmCommand.Pause.class, name = "Pause"),
        @JsonSubTypes.Type(value = VmCommand.Unpause.class, name = "Unpause"),
        @JsonSubTypes.Type(value = VmCommand.Delete.class, name = "Delete"),
        @JsonSubTypes.Type(value = VmCommand.PlacementSucceeded.class, name = "PlacementSucceeded"),
        @JsonSubTypes.Type(value = VmCommand.PlacementFailed.class, name = "PlacementFailed"),
        @JsonSubTypes.Type(value = VmCommand.BackoffExpired.class, name = "BackoffExpired"),
        @JsonSubTypes.Type(value = VmCommand.ReportFromNode.class, name = "ReportFromNode"),
        @JsonSubTypes.Type(value = VmCommand.LoseNode.class, name = "LoseNode"),
        @JsonSubTypes.Type(value = VmCommand.NodeNotReady.class, name = "NodeNotReady"),
        @JsonSubTypes.Type(value = VmCommand.Migrate.class, name = "Migrate"),
        @JsonSubTypes.Type(value = VmCommand.CancelMigration.class, name = "CancelMigration"),
        @JsonSubTypes.Type(value = VmCommand.MigrationTargetReserved.class, name = "MigrationTargetReserved"),
        @JsonSubTypes.Type(value = VmCommand.MigrationTargetRefused.class, name = "MigrationTargetRefused"),
        @JsonSubTypes.Type(value = VmCommand.TakeSnapshot.class, name = "TakeSnapshot"),
        @JsonSubTypes.Type(value = VmCommand.RestoreSnapshot.class, name = "RestoreSnapshot"),
        @JsonSubTypes.Type(value = VmCommand.DeleteSnapshot.class, name = "DeleteSnapshot")
})
public sealed interface VmCommand extends CborSerializable {

    String requestId();

    String principal();

    record Create(String requestId, String principal, String uid, Map<String, String> labels,
                  VirtualMachineSpec spec) implements VmCommand {
    }

    /** Replace labels and spec; {@code expectedResourceVersion} (nullable) must match the current one. */
    record UpdateSpec(String requestId, String principal, Map<String, String> labels, VirtualMachineSpec spec,
                      String expectedResourceVersion) implements VmCommand {
    }

    record Start(String requestId, String principal) implements VmCommand {
    }

    record Stop(String requestId, String principal, boolean force) implements VmCommand {
    }

    record Restart(String requestId, String principal) implements VmCommand {
    }

    record Pause(String requestId, String principal) implements VmCommand {
    }

    record Unpause(String requestId, String principal) implements VmCommand {
    }

    record Delete(String requestId, String principal) implements VmCommand {
    }

    /** The scheduler reserved {@code node} for the placement {@code incarnation}. */
    record PlacementSucceeded(String requestId, String node, long incarnation) implements VmCommand {
        @Override
        public String principal() {
            return EventMeta.SCHEDULER;
        }
    }

    record PlacementFailed(String requestId, long incarnation, String reason) implements VmCommand {
        @Override
        public String principal() {
            return EventMeta.SCHEDULER;
        }
    }

    /** The CrashLoopBackOff timer set for {@code restartAt} fired. */
    record BackoffExpired(String requestId, java.time.Instant restartAt) implements VmCommand {
        @Override
        public String principal() {
            return EventMeta.SYSTEM;
        }
    }

    record ReportFromNode(String requestId, NodeReport report) implements VmCommand {
        @Override
        public String principal() {
            return EventMeta.node(report.node());
        }
    }

    /** The cluster lost {@code node} (crash, or downed by the split-brain resolver). */
    record LoseNode(String requestId, String node) implements VmCommand {
        @Override
        public String principal() {
            return EventMeta.SYSTEM;
        }
    }

    /** The VM's node is still a member but cannot reach its hypervisor: what runs there is unknown for now. */
    record NodeNotReady(String requestId, String node) implements VmCommand {
        @Override
        public String principal() {
            return EventMeta.SYSTEM;
        }
    }

    /** Live-migrate the running VM; {@code targetNode} null: the scheduler chooses. */
    record Migrate(String requestId, String principal, String migrationId, String targetNode, MigrationPolicy policy)
            implements VmCommand {
    }

    record CancelMigration(String requestId, String principal, String migrationId) implements VmCommand {
    }

    /** The scheduler reserved {@code node} as the migration's target, for placement {@code incarnation}. */
    record MigrationTargetReserved(String requestId, String migrationId, String node, long incarnation)
            implements VmCommand {
        @Override
        public String principal() {
            return EventMeta.SCHEDULER;
        }
    }

    record MigrationTargetRefused(String requestId, String migrationId, String reason) implements VmCommand {
        @Override
        public String principal() {
            return EventMeta.SCHEDULER;
        }
    }

    /** Snapshot the VM as {@code snapshot}: its disks, and its memory too when {@code memory} and it runs. */
    record TakeSnapshot(String requestId, String principal, String snapshot, boolean memory) implements VmCommand {
    }

    /** Bring the VM back to {@code snapshot} ({@link RestorePolicy} says how). */
    record RestoreSnapshot(String requestId, String principal, String snapshot) implements VmCommand {
    }

    record DeleteSnapshot(String requestId, String principal, String snapshot) implements VmCommand {
    }
}
