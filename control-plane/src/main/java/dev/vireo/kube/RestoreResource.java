package dev.vireo.kube;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.vireo.protocol.api.InvalidManifestException;
import dev.vireo.protocol.api.ManifestValidator;
import dev.vireo.protocol.vm.RestorePolicy;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmEvent;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.time.Instant;
import java.util.List;

/**
 * VirtualMachineRestore ({@code vmrestore}): creating one brings its VM back to the snapshot {@code spec.snapshotName},
 * as {@code POST …/{name}/restore} does; its status follows the restore in the VM's history. A restore cannot be
 * undone: deleting the resource only removes the record of it from Kubernetes (the VM's history keeps it).
 */
final class RestoreResource extends OperationResource {

    RestoreResource() {
        super("VirtualMachineRestore", "virtualmachinerestores", null);
    }

    record Spec(String vmName, String snapshotName) {
    }

    /** {@code status.phase}; Pending is never written by Vireo (kept for tools that set it). */
    enum Phase { Pending, InProgress, Succeeded, Failed }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Status(Phase phase, RestorePolicy policy, String node, Long pauseMs, String restoreTime, String message) {
    }

    @Override
    VmCommand start(GenericKubernetesResource cr, String principal) {
        vmName(cr);
        Object name = spec(cr).get("snapshotName");
        if (name != null && !(name instanceof String)) {
            throw new InvalidManifestException("spec.snapshotName", "spec.snapshotName must be a snapshot's name (text),"
                    + " was " + name);
        }
        ManifestValidator.checkName("spec.snapshotName", (String) name);
        return new VmCommand.RestoreSnapshot(requestId(cr), principal, (String) name);
    }

    @Override
    Object status(GenericKubernetesResource cr, List<VmEvent> history) {
        Status status = null;
        for (VmEvent event : underRequest(cr, history)) {
            String at = text(event.meta().timestamp());
            if (event instanceof VmEvent.RestoreRequested e) {
                status = new Status(Phase.InProgress, e.policy(), e.node(), null, null, null);
            } else if (status != null && event instanceof VmEvent.RestoreCompleted e) {
                status = new Status(Phase.Succeeded, e.policy(), status.node(), e.pauseMs() < 0 ? null : e.pauseMs(),
                        at, null);
            } else if (status != null && event instanceof VmEvent.RestoreFailed e) {
                status = new Status(Phase.Failed, status.policy(), status.node(), null, null, e.reason());
            }
        }
        return status;
    }

    @Override
    Object failed(String message, Instant at) {
        return new Status(Phase.Failed, null, null, null, null, message);
    }
}
