package dev.vireo.kube;

import dev.vireo.protocol.api.InvalidManifestException;
import dev.vireo.protocol.api.ManifestValidator;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmEvent;
import dev.vireo.protocol.vm.VmId;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A resource that asks one VM ({@code spec.vmName}, same namespace) for one operation, a migration, a snapshot or a
 * restore: the sync starts it once, under the request id {@code kube-<uid>}, and mirrors how it goes from the VM's
 * history into {@code .status}. A resource is one request: its spec is read once, when it is started.
 */
abstract class OperationResource {

    static final Set<String> ENDED = Set.of("Succeeded", "Failed", "Cancelled");

    final CustomResourceDefinitionContext context;
    /** What the resource's delete waits for; null: deleting it does nothing to the VM. */
    final String finalizer;

    OperationResource(String kind, String plural, String finalizer) {
        this.context = new CustomResourceDefinitionContext.Builder()
                .withGroup(VirtualMachineResource.GROUP).withVersion(VirtualMachineResource.VERSION)
                .withKind(kind).withPlural(plural).withName(plural + "." + VirtualMachineResource.GROUP)
                .withScope("Namespaced").withStatusSubresource(true).build();
        this.finalizer = finalizer;
    }

    String kind() {
        return context.getKind();
    }

    /** The request id of the command that starts the operation: the resource's uid names it. */
    static String requestId(GenericKubernetesResource cr) {
        return dev.vireo.protocol.api.RequestIds.KUBE + cr.getMetadata().getUid();
    }

    /** The events recorded under the resource's request (its reports come under the same id), oldest first. */
    static List<VmEvent> underRequest(GenericKubernetesResource cr, List<VmEvent> history) {
        String requestId = requestId(cr);
        return history.stream().filter(e -> requestId.equals(e.meta().requestId())).toList();
    }

    /**
     * The command that starts the operation, from the resource's spec; fields are named {@code spec.…}.
     *
     * @throws InvalidManifestException when the spec is not a valid request
     */
    abstract VmCommand start(GenericKubernetesResource cr, String principal);

    /** The status as the VM's history tells it; null when the history holds no trace of this resource's request. */
    abstract Object status(GenericKubernetesResource cr, List<VmEvent> history);

    /** The status of a request that was refused or invalid. */
    abstract Object failed(String message, Instant at);

    /** What deleting the resource asks of the VM, when its operation is in the state {@code status}; null: nothing. */
    VmCommand onDelete(GenericKubernetesResource cr, Map<String, Object> status, String principal) {
        return null;
    }

    /**
     * {@code namespace/vmName}, what the sync queues and indexes the resource under, even when spec.vmName is no VM's
     * name (then the resource only gets its Failed status).
     */
    static VmId vm(GenericKubernetesResource cr) {
        return new VmId(cr.getMetadata().getNamespace(), String.valueOf(spec(cr).get("vmName")));
    }

    static String vmName(GenericKubernetesResource cr) {
        Object name = spec(cr).get("vmName");
        if (name != null && !(name instanceof String)) {
            throw new InvalidManifestException("spec.vmName", "spec.vmName must be a VM's name (text), was " + name);
        }
        ManifestValidator.checkName("spec.vmName", (String) name);
        return (String) name;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> spec(GenericKubernetesResource cr) {
        Object spec = cr.getAdditionalProperties().get("spec");
        return spec instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    static String phase(Map<String, Object> status) {
        return status.get("phase") instanceof String s ? s : null;
    }

    static boolean ended(Map<String, Object> status) {
        String phase = phase(status);
        return phase != null && ENDED.contains(phase);
    }

    static String text(Instant at) {
        return at == null ? null : at.toString();
    }
}
