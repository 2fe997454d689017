package dev.vireo.protocol.api;

import dev.vireo.protocol.vm.Phase;
import dev.vireo.protocol.vm.VmState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The one function that turns a VM's state into what users see. */
public final class VirtualMachineViews {

    private VirtualMachineViews() {
    }

    public static VirtualMachineView of(VmState s) {
        ObjectMeta meta = new ObjectMeta(s.id().name(), s.id().namespace(), s.labels(), null, s.uid(),
                s.generation(), s.resourceVersion(), text(s.creationTimestamp()));
        VirtualMachineView.Status status = new VirtualMachineView.Status(printable(s), s.node(),
                s.incarnation(), conditions(s), s.generation(), s.migration(),
                List.copyOf(SnapshotView.of(s.id(), s.snapshots())),
                s.crashCount() > 0 ? s.crashCount() : null, text(s.restartAt()));
        return new VirtualMachineView(VirtualMachineManifest.API_VERSION, VirtualMachineManifest.KIND, meta, s.spec(),
                status);
    }

    /** The phase, or Snapshotting / Restoring while a snapshot or restore of the VM is under way. */
    private static String printable(VmState s) {
        dev.vireo.protocol.vm.Snapshots.Pending p = s.snapshots().pending();
        if (p == null) {
            return s.phase().name();
        }
        return (p.kind() == dev.vireo.protocol.vm.Snapshots.Pending.Kind.Snapshot ? Phase.Snapshotting
                : Phase.Restoring).name();
    }

    private static List<VirtualMachineView.Condition> conditions(VmState s) {
        String since = text(s.lastTransitionTime());
        List<VirtualMachineView.Condition> conditions = new ArrayList<>();
        boolean ready = s.phase() == Phase.Running || s.phase() == Phase.Migrating;
        conditions.add(new VirtualMachineView.Condition("Ready", ready ? "True" : "False", s.phase().name(),
                ready ? "running on node " + s.node() : null, since));
        conditions.add(new VirtualMachineView.Condition("Paused", s.phase() == Phase.Paused ? "True" : "False",
                s.phase().name(), null, since));
        if (s.failureReason() != null) {
            conditions.add(new VirtualMachineView.Condition("Failure", "True", s.phase().name(), s.failureReason(),
                    since));
        }
        return conditions;
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
