package dev.vireo.kube;

import dev.vireo.protocol.api.RequestIds;
import static dev.vireo.kube.VirtualMachineResource.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vireo.api.ImagePaths;
import dev.vireo.protocol.api.InvalidManifestException;
import dev.vireo.protocol.api.ManifestValidator;
import dev.vireo.protocol.api.VirtualMachineView;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmState;
import dev.vireo.vm.VirtualMachineEntity;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings one VM's CR and its entity together, level-based: it reads both afresh and does what is missing.
 * <ul>
 * <li>A CR generation above {@code status.observedGeneration} is a change not acted on yet: it becomes
 * Create or UpdateSpec, but only when the CR's spec differs from the entity's (so a change already
 * applied before a crash is never applied twice), and then observedGeneration moves to it.</li>
 * <li>Otherwise the entity is the truth: its spec is written into the CR when they differ (a change over
 * HTTP), a CR whose VM was deleted is deleted, a VM without a CR gets one, and the status follows.</li>
 * </ul>
 */
final class VirtualMachineReconciler {

    private static final Logger log = LoggerFactory.getLogger(VirtualMachineReconciler.class);
    private static final int CONFLICT_RETRIES = 5;
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private final MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList,
            Resource<GenericKubernetesResource>> crs;
    private final VirtualMachineGateway vms;
    private final ImagePaths images;
    private final Clock clock;

    VirtualMachineReconciler(KubernetesClient client, VirtualMachineGateway vms, ImagePaths images, Clock clock) {
        this.crs = client.genericKubernetesResources(CONTEXT);
        this.vms = vms;
        this.images = images;
        this.clock = clock;
    }

    /** Retries on write conflicts (someone else changed the CR meanwhile): each try reads it again. */
    void reconcile(VmId id) {
        for (int attempt = 1; ; attempt++) {
            try {
                reconcileOnce(id);
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt >= CONFLICT_RETRIES) {
                    throw e;
                }
                log.debug("{}: conflict writing the CR, reading it again ({})", id, e.getMessage());
            }
        }
    }

    private void reconcileOnce(VmId id) {
        GenericKubernetesResource cr = cr(id).get();
        VmState state = vms.get(id);
        if (cr == null) {
            if (state.exists() && !state.deleting()) {
                export(id, state);
            }
            return;
        }
        if (deleting(cr)) {
            finishDelete(id, cr, state);
            return;
        }
        if (!hasFinalizer(cr)) {
            cr = writeMetadata(cr, m -> {
                List<String> finalizers = new ArrayList<>(m.getFinalizers() == null ? List.of() : m.getFinalizers());
                finalizers.add(FINALIZER);
                m.setFinalizers(finalizers);
            });
        }
        if (generation(cr) > observedGeneration(cr)) {
            apply(id, cr, state);
            return;
        }
        VirtualMachineView.Condition failure = VirtualMachineStatus.syncFailure(status(cr));
        String bound = boundUid(cr);
        if (!state.exists()) {
            if (bound != null) {
                // the VM this CR stood for was deleted (over HTTP): so is the CR
                log.info("{}: VM {} was deleted; deleting its CR", id, bound);
                cr(id).delete();
                GenericKubernetesResource left = cr(id).get();
                if (left != null) {
                    finishDelete(id, left, state);
                }
                return;
            }
        }
        long observed = observedGeneration(cr);
        if (state.exists() && (!state.uid().equals(bound) || failure == null && !matches(cr, state))) {
            // the entity changed without the CR (over HTTP): the entity is the truth, the CR follows
            cr = writeSpec(cr, state);
            observed = generation(cr);
            failure = null;
        }
        writeStatus(cr, state, observed, failure);
    }

    /** The CR's newest generation, not acted on yet. */
    private void apply(VmId id, GenericKubernetesResource cr, VmState state) {
        long generation = generation(cr);
        VirtualMachineSpec spec;
        try {
            ManifestValidator.checkName("metadata.name", id.name());
            spec = images.checkedNow(ManifestValidator.validate(VirtualMachineResource.spec(cr)));
        } catch (InvalidManifestException e) {
            log.info("{}: generation {} not applied: {}", id, generation, e.getMessage());
            writeStatus(cr, state, generation, VirtualMachineStatus.failure(VirtualMachineStatus.INVALID_SPEC,
                    e.getMessage(), clock.instant().toString()));
            return;
        }
        Map<String, String> labels = labels(cr);
        String requestId = RequestIds.KUBE + cr.getMetadata().getUid() + "-" + generation;
        VmCommand command = null;
        if (!state.exists()) {
            command = new VmCommand.Create(requestId, principal(cr), cr.getMetadata().getUid(), labels, spec);
        } else if (!spec.equals(state.spec()) || !labels.equals(state.labels())) {
            command = new VmCommand.UpdateSpec(requestId, principal(cr), labels, spec, null);
        }
        VirtualMachineView.Condition failure = null;
        if (command != null) {
            VirtualMachineEntity.Reply reply = vms.execute(id, command);
            if (reply instanceof VirtualMachineEntity.Refused refused) {
                failure = VirtualMachineStatus.failure(VirtualMachineStatus.REJECTED, refused.rejection().message(),
                        clock.instant().toString());
            } else {
                state = ((VirtualMachineEntity.Accepted) reply).state();
            }
        }
        if (state.exists() && !state.uid().equals(boundUid(cr))) {
            String uid = state.uid();
            cr = writeMetadata(cr, m -> {
                Map<String, String> annotations = new HashMap<>(m.getAnnotations() == null ? Map.of() : m.getAnnotations());
                annotations.put(VM_UID, uid);
                m.setAnnotations(annotations);
            });
        }
        writeStatus(cr, state, generation, failure);
    }

    /** Delete the VM the CR stands for; the finalizer goes once the entity says the VM is gone. */
    private void finishDelete(VmId id, GenericKubernetesResource cr, VmState state) {
        if (!hasFinalizer(cr)) {
            return;
        }
        if (state.exists() && state.uid().equals(boundUid(cr))) {
            if (!state.deleting()) {
                VirtualMachineEntity.Reply reply = vms.execute(id, new VmCommand.Delete(
                        RequestIds.KUBE + cr.getMetadata().getUid() + "-delete", principal(cr)));
                if (reply instanceof VirtualMachineEntity.Accepted accepted) {
                    state = accepted.state();
                }
            }
            if (state.exists()) {
                writeStatus(cr, state, observedGeneration(cr), VirtualMachineStatus.syncFailure(status(cr)));
                return; // VmDeleted brings us back here
            }
        }
        log.info("{}: VM deleted; releasing finalizer {}", id, FINALIZER);
        writeMetadata(cr, m -> m.setFinalizers(m.getFinalizers().stream().filter(f -> !FINALIZER.equals(f)).toList()));
    }

    /** A VM without a CR (created over HTTP): kubectl sees every VM. */
    private void export(VmId id, VmState state) {
        GenericKubernetesResource cr = new GenericKubernetesResourceBuilder()
                .withApiVersion(API_VERSION).withKind(KIND)
                .withNewMetadata().withName(id.name()).withNamespace(id.namespace()).withLabels(state.labels())
                .withFinalizers(FINALIZER).withAnnotations(Map.of(VM_UID, state.uid())).endMetadata()
                .build();
        cr.setAdditionalProperty("spec", specAsMap(state.spec()));
        GenericKubernetesResource created = crs.inNamespace(id.namespace()).resource(cr).create();
        log.info("{}: CR created for VM {}", id, state.uid());
        writeStatus(created, state, generation(created), null);
    }

    private boolean matches(GenericKubernetesResource cr, VmState state) {
        try {
            return ManifestValidator.validate(VirtualMachineResource.spec(cr)).equals(state.spec())
                    && labels(cr).equals(state.labels());
        } catch (InvalidManifestException e) {
            return false;
        }
    }

    private GenericKubernetesResource writeSpec(GenericKubernetesResource cr, VmState state) {
        GenericKubernetesResource copy = copy(cr);
        copy.setAdditionalProperty("spec", specAsMap(state.spec()));
        copy.getMetadata().setLabels(state.labels());
        Map<String, String> annotations = new HashMap<>(cr.getMetadata().getAnnotations() == null ? Map.of()
                : cr.getMetadata().getAnnotations());
        annotations.put(VM_UID, state.uid());
        copy.getMetadata().setAnnotations(annotations);
        GenericKubernetesResource updated = crs.inNamespace(copy.getMetadata().getNamespace()).resource(copy).update();
        log.info("{}: CR spec follows the VM (generation {})", VirtualMachineResource.id(cr), generation(updated));
        return updated;
    }

    private GenericKubernetesResource writeMetadata(GenericKubernetesResource cr,
                                                    java.util.function.Consumer<io.fabric8.kubernetes.api.model.ObjectMeta> change) {
        GenericKubernetesResource copy = copy(cr);
        change.accept(copy.getMetadata());
        return crs.inNamespace(copy.getMetadata().getNamespace()).resource(copy).update();
    }

    /** Only when it differs: our own status writes must not wake the informer into another write. */
    private void writeStatus(GenericKubernetesResource cr, VmState state, long observedGeneration,
                             VirtualMachineView.Condition failure) {
        JsonNode desired = VirtualMachineStatus.of(state, observedGeneration, failure);
        JsonNode current = VirtualMachineStatus.normalized(status(cr));
        if (desired.equals(current)) {
            return;
        }
        GenericKubernetesResource copy = copy(cr);
        copy.setAdditionalProperty("status", dev.vireo.protocol.api.Json.mapper().convertValue(desired, Map.class));
        crs.inNamespace(copy.getMetadata().getNamespace()).resource(copy).updateStatus();
    }

    private Resource<GenericKubernetesResource> cr(VmId id) {
        return crs.inNamespace(id.namespace()).withName(id.name());
    }

    private static GenericKubernetesResource copy(GenericKubernetesResource cr) {
        return SERIALIZATION.clone(cr);
    }
}
