package dev.vireo.kube;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.vireo.protocol.api.InvalidManifestException;
import dev.vireo.protocol.api.ManifestValidator;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmEvent;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * VirtualMachineSnapshot ({@code vmsnap}): creating one snapshots its VM, as {@code POST …/{name}/snapshots} does,
 * under the name {@code spec.snapshotName} (default: the resource's name); its status follows the snapshot's record
 * in the VM's history. Deleting the resource deletes the snapshot it took.
 */
final class SnapshotResource extends OperationResource {

    static final String FINALIZER = "vireo.dev/snapshot";

    SnapshotResource() {
        super("VirtualMachineSnapshot", "virtualmachinesnapshots", FINALIZER);
    }

    record Spec(String vmName, String snapshotName, Boolean memory) {
    }

    /** {@code status.phase}; Pending is never written by Vireo (kept for tools that set it). */
    enum Phase { Pending, InProgress, Succeeded, Failed }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Status(Phase phase, String snapshotName, Boolean readyToUse, Boolean memory, String node, Long sizeBytes,
                  Long pauseMs, String creationTime, String message) {
    }

    static String snapshotName(GenericKubernetesResource cr) {
        Object name = spec(cr).get("snapshotName");
        if (name != null && !(name instanceof String)) {
            throw new InvalidManifestException("spec.snapshotName", "spec.snapshotName must be a snapshot's name (text),"
                    + " was " + name);
        }
        String snapshot = name == null ? cr.getMetadata().getName() : (String) name;
        ManifestValidator.checkName("spec.snapshotName", snapshot);
        return snapshot;
    }

    static boolean memory(GenericKubernetesResource cr) {
        Object memory = spec(cr).get("memory");
        if (memory != null && !(memory instanceof Boolean)) {
            throw new InvalidManifestException("spec.memory", "spec.memory must be true or false, was " + memory);
        }
        return Boolean.TRUE.equals(memory);
    }

    @Override
    VmCommand start(GenericKubernetesResource cr, String principal) {
        vmName(cr);
        return new VmCommand.TakeSnapshot(requestId(cr), principal, snapshotName(cr), memory(cr));
    }

    /** Folded from the events recorded under the resource's request: requested, then completed or failed. */
    @Override
    Object status(GenericKubernetesResource cr, List<VmEvent> history) {
        Status status = null;
        for (VmEvent event : underRequest(cr, history)) {
            String at = text(event.meta().timestamp());
            if (event instanceof VmEvent.SnapshotRequested e) {
                status = new Status(Phase.InProgress, e.snapshot(), false, e.memory() && e.online(), e.node(), null,
                        null, null, null);
            } else if (status != null && event instanceof VmEvent.SnapshotCompleted e) {
                status = new Status(Phase.Succeeded, e.snapshot(), true, status.memory(), status.node(), e.sizeBytes(),
                        e.pauseMs() < 0 ? null : e.pauseMs(), at, null);
            } else if (status != null && event instanceof VmEvent.SnapshotFailed e) {
                status = new Status(Phase.Failed, e.snapshot(), false, status.memory(), status.node(), null, null, null,
                        e.reason());
            }
        }
        return status;
    }

    @Override
    Object failed(String message, Instant at) {
        return new Status(Phase.Failed, null, false, null, null, null, null, null, message);
    }

    /**
     * The snapshot this resource took goes with it (one still being taken, once it is complete); a snapshot of the
     * same name that another request took is not this resource's, and stays.
     */
    @Override
    VmCommand onDelete(GenericKubernetesResource cr, Map<String, Object> status, String principal) {
        if (phase(status) == null) {
            return null;
        }
        return new VmCommand.DeleteSnapshot(requestId(cr) + "-delete", principal, (String) status.get("snapshotName"));
    }
}
