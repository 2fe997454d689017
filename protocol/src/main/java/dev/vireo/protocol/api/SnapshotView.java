package dev.vireo.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.vireo.protocol.vm.Snapshot;
import dev.vireo.protocol.vm.Snapshots;
import dev.vireo.protocol.vm.VmId;
import java.time.Instant;
import java.util.List;

/**
 * A snapshot as the API shows it ({@code GET …/snapshots[/{snap}]}, and in the VM's {@code status.snapshots}):
 * {@code status.phase} InProgress, Succeeded or Failed (with its reason), its size, when it was taken, whether it
 * holds the memory, the node its files are on, and how long the guest was paused for it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SnapshotView(String kind, String name, String virtualMachine, boolean memory, Status status) {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Status(String phase, String node, long sizeBytes, String requestedAt, String completedAt,
                         Long pauseMs, String reason, String restoring) {
    }

    public static final String KIND = "VirtualMachineSnapshot";

    public static SnapshotView of(VmId vm, Snapshot s, Snapshots of) {
        Snapshots.Pending p = of.pending();
        String restoring = p != null && p.kind() == Snapshots.Pending.Kind.Restore && p.snapshot().equals(s.name())
                ? p.policy().name() : null;
        return new SnapshotView(KIND, s.name(), vm.entityId(), s.memory(), new Status(s.phase().name(), s.node(),
                s.sizeBytes(), text(s.requestedAt()), text(s.completedAt()), s.pauseMs() < 0 ? null : s.pauseMs(),
                s.reason(), restoring));
    }

    public static List<SnapshotView> of(VmId vm, Snapshots snapshots) {
        return snapshots.items().stream().map(s -> of(vm, s, snapshots)).toList();
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
