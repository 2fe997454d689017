package dev.vireo.kube;

import dev.vireo.api.MigrationRoutes;
import dev.vireo.protocol.api.InvalidManifestException;
import dev.vireo.protocol.api.Json;
import dev.vireo.protocol.vm.Rejection;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmEvent;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmState;
import dev.vireo.vm.VirtualMachineEntity;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the migration, snapshot and restore resources of one VM in step with its history, level-based: for each
 * resource it reads the resource and the VM's history afresh. A resource whose request the history does not hold
 * yet is started (once: the request id and the migration id come from its uid, so a restart finds what it
 * started); one the history holds gets the status the history tells; a refusal or an invalid spec is a Failed
 * status with the reason. Ended resources are left alone, except to let their delete through.
 */
final class OperationReconciler {

    /** The informers' index: resources by {@code namespace/vmName}. */
    static final String BY_VM = "vm";
    private static final Logger log = LoggerFactory.getLogger(OperationReconciler.class);
    private static final int CONFLICT_RETRIES = 5;
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    /** The informer of each kind: where the resources of a VM are found. */
    private final Map<OperationResource, SharedIndexInformer<GenericKubernetesResource>> informers;
    private final KubernetesClient client;
    private final VirtualMachineGateway vms;
    private final Clock clock;

    OperationReconciler(KubernetesClient client, Map<OperationResource, SharedIndexInformer<GenericKubernetesResource>>
            informers, VirtualMachineGateway vms, Clock clock) {
        this.client = client;
        this.informers = informers;
        this.vms = vms;
        this.clock = clock;
    }

    static List<String> vmKeys(GenericKubernetesResource cr) {
        return List.of(OperationResource.vm(cr).entityId());
    }

    /** Something for the sync to do: not started (or not yet mirrored), a delete, a finalizer to add. */
    static boolean needsAttention(OperationResource kind, GenericKubernetesResource cr) {
        return cr.getMetadata().getDeletionTimestamp() != null || OperationResource.phase(status(cr)) == null
                || kind.finalizer != null && !hasFinalizer(kind, cr);
    }

    /** Every resource of {@code vm} that is not over; a failure of one does not keep the others back. */
    void reconcile(VmId vm) {
        RuntimeException failure = null;
        for (Map.Entry<OperationResource, SharedIndexInformer<GenericKubernetesResource>> e : informers.entrySet()) {
            for (GenericKubernetesResource cached : e.getValue().getIndexer().byIndex(BY_VM, vm.entityId())) {
                if (OperationResource.ended(status(cached)) && !needsAttention(e.getKey(), cached)) {
                    continue;
                }
                try {
                    reconcile(e.getKey(), vm, cached.getMetadata().getName());
                } catch (RuntimeException error) {
                    log.warn("{}: {} {} could not be brought in step ({})", vm, e.getKey().kind(),
                            cached.getMetadata().getName(), error.toString());
                    failure = error;
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void reconcile(OperationResource kind, VmId vm, String name) {
        for (int attempt = 1; ; attempt++) {
            try {
                reconcileOnce(kind, vm, name);
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt >= CONFLICT_RETRIES) {
                    throw e;
                }
            }
        }
    }

    private void reconcileOnce(OperationResource kind, VmId vm, String name) {
        GenericKubernetesResource cr = crs(kind).inNamespace(vm.namespace()).withName(name).get();
        if (cr == null || !vm.equals(OperationResource.vm(cr))) {
            return;
        }
        String principal = VirtualMachineResource.principal(cr);
        if (cr.getMetadata().getDeletionTimestamp() != null) {
            finishDelete(kind, vm, cr, principal);
            return;
        }
        if (kind.finalizer != null && !hasFinalizer(kind, cr)) {
            cr = writeFinalizers(kind, cr, true);
        }
        if (OperationResource.ended(status(cr))) {
            return;
        }
        Object desired = kind.status(cr, vms.history(vm));
        if (desired == null) {
            desired = start(kind, vm, cr, principal);
        }
        writeStatus(kind, cr, desired);
    }

    /** Sends the command that starts the operation; the status it starts with, or Failed with why it did not start. */
    private Object start(OperationResource kind, VmId vm, GenericKubernetesResource cr, String principal) {
        String requestId = OperationResource.requestId(cr);
        VmCommand command;
        try {
            command = kind.start(cr, principal);
        } catch (InvalidManifestException e) {
            log.info("{}: {} {} has an invalid spec: {} (request {})", vm, kind.kind(), cr.getMetadata().getName(),
                    e.getMessage(), requestId);
            return kind.failed("InvalidSpec: " + e.getMessage(), clock.instant());
        }
        VmState state = vms.get(vm);
        Rejection refusal = null;
        if (!state.exists() || state.deleting()) {
            refusal = Rejection.notFound(vm);
        } else if (command instanceof VmCommand.Migrate m) {
            refusal = vms.whyNotMigrate(vm, state, new MigrationRoutes.Request(m.targetNode(), m.policy()));
        }
        if (refusal == null && vms.execute(vm, command) instanceof VirtualMachineEntity.Refused refused) {
            refusal = refused.rejection();
        }
        if (refusal != null) {
            log.info("{}: {} {} refused: {} (request {})", vm, kind.kind(), cr.getMetadata().getName(),
                    refusal.message(), requestId);
            return kind.failed(refusal.message(), clock.instant());
        }
        log.info("{}: {} {} started by {} (request {})", vm, kind.kind(), cr.getMetadata().getName(), principal,
                requestId);
        Object started = kind.status(cr, vms.history(vm));
        if (started == null) {
            throw new IllegalStateException(vm + ": the history does not show request " + requestId
                    + " the VM accepted; trying again");
        }
        return started;
    }

    /**
     * The delete asks what it must of the VM (cancel the migration, delete the snapshot); a request the VM cannot
     * take yet (a snapshot still being taken) keeps the finalizer, and the VM's next event brings the delete back.
     */
    private void finishDelete(OperationResource kind, VmId vm, GenericKubernetesResource cr, String principal) {
        if (kind.finalizer == null || !hasFinalizer(kind, cr)) {
            return;
        }
        Object current = kind.status(cr, vms.history(vm));
        Map<String, Object> status = current == null ? Map.of() : asMap(current);
        VmCommand undo = kind.onDelete(cr, status, principal);
        if (undo != null) {
            VirtualMachineEntity.Reply reply = vms.execute(vm, undo);
            if (reply instanceof VirtualMachineEntity.Refused refused) {
                if (!OperationResource.ended(status) && refused.rejection().code() != Rejection.Code.NotFound) {
                    log.info("{}: {} {} deleted; {} waits: {}", vm, kind.kind(), cr.getMetadata().getName(),
                            undo.getClass().getSimpleName(), refused.rejection().message());
                    return;
                }
            } else {
                log.info("{}: {} {} deleted; {} sent (request {})", vm, kind.kind(), cr.getMetadata().getName(),
                        undo.getClass().getSimpleName(), undo.requestId());
            }
        }
        writeFinalizers(kind, cr, false);
    }

    private GenericKubernetesResource writeFinalizers(OperationResource kind, GenericKubernetesResource cr, boolean add) {
        GenericKubernetesResource copy = SERIALIZATION.clone(cr);
        List<String> finalizers = new ArrayList<>(copy.getMetadata().getFinalizers() == null ? List.of()
                : copy.getMetadata().getFinalizers());
        finalizers.remove(kind.finalizer);
        if (add) {
            finalizers.add(kind.finalizer);
        }
        copy.getMetadata().setFinalizers(finalizers);
        return crs(kind).inNamespace(copy.getMetadata().getNamespace()).resource(copy).update();
    }

    /** Only when it differs: the sync's own writes must not wake the informer into another write. */
    private void writeStatus(OperationResource kind, GenericKubernetesResource cr, Object desired) {
        Map<String, Object> status = asMap(desired);
        if (VirtualMachineStatus.normalized(status).equals(VirtualMachineStatus.normalized(status(cr)))) {
            return;
        }
        GenericKubernetesResource copy = SERIALIZATION.clone(cr);
        copy.setAdditionalProperty("status", status);
        crs(kind).inNamespace(copy.getMetadata().getNamespace()).resource(copy).updateStatus();
        if (!status.get("phase").equals(OperationResource.phase(status(cr)))) {
            log.info("{}: {} {} is {} (request {})", OperationResource.vm(cr), kind.kind(), cr.getMetadata().getName(),
                    status.get("phase"), OperationResource.requestId(cr));
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object status) {
        return Json.mapper().convertValue(status, Map.class);
    }

    private static Map<String, Object> status(GenericKubernetesResource cr) {
        return VirtualMachineResource.status(cr);
    }

    private static boolean hasFinalizer(OperationResource kind, GenericKubernetesResource cr) {
        return cr.getMetadata().getFinalizers() != null && cr.getMetadata().getFinalizers().contains(kind.finalizer);
    }

    private MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>>
            crs(OperationResource kind) {
        return client.genericKubernetesResources(kind.context);
    }
}
