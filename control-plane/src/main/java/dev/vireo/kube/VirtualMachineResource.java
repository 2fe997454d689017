package dev.vireo.kube;

import dev.vireo.protocol.api.InvalidManifestException;
import dev.vireo.protocol.api.Json;
import dev.vireo.protocol.api.ManifestParser;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import dev.vireo.protocol.vm.VmId;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import java.io.UncheckedIOException;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The VirtualMachine custom resource as the sync reads it: a generic resource, so that a CR with a
 * malformed spec is still listed (and answered with a Failure condition) instead of breaking the informer.
 */
final class VirtualMachineResource {

    static final String GROUP = "vireo.dev";
    static final String VERSION = "v1";
    static final String API_VERSION = GROUP + "/" + VERSION;
    static final String KIND = "VirtualMachine";
    static final String PLURAL = "virtualmachines";
    /** Held by Vireo until the entity has recorded VmDeleted. */
    static final String FINALIZER = "vireo.dev/vm";
    /** The uid of the VM (the entity's VmCreated) this CR stands for; absent until a spec was applied. */
    static final String VM_UID = "vireo.dev/vm-uid";
    static final String FIELD_MANAGER = "vireo";

    static final CustomResourceDefinitionContext CONTEXT = new CustomResourceDefinitionContext.Builder()
            .withGroup(GROUP).withVersion(VERSION).withKind(KIND).withPlural(PLURAL)
            .withName(PLURAL + "." + GROUP).withScope("Namespaced").withStatusSubresource(true).build();

    private VirtualMachineResource() {
    }

    static VmId id(GenericKubernetesResource cr) {
        return new VmId(cr.getMetadata().getNamespace(), cr.getMetadata().getName());
    }

    static long generation(GenericKubernetesResource cr) {
        Long g = cr.getMetadata().getGeneration();
        return g == null ? 0 : g;
    }

    /** The last generation the sync acted on (applied, or refused with a Failure condition); 0 when none. */
    static long observedGeneration(GenericKubernetesResource cr) {
        Object g = status(cr).get("observedGeneration");
        return g instanceof Number n ? n.longValue() : 0;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> status(GenericKubernetesResource cr) {
        Object s = cr.getAdditionalProperties().get("status");
        return s instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    static boolean hasFinalizer(GenericKubernetesResource cr) {
        return cr.getMetadata().getFinalizers() != null && cr.getMetadata().getFinalizers().contains(FINALIZER);
    }

    static boolean deleting(GenericKubernetesResource cr) {
        return cr.getMetadata().getDeletionTimestamp() != null;
    }

    static String boundUid(GenericKubernetesResource cr) {
        Map<String, String> annotations = cr.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(VM_UID);
    }

    static Map<String, String> labels(GenericKubernetesResource cr) {
        return cr.getMetadata().getLabels() == null ? Map.of() : Map.copyOf(cr.getMetadata().getLabels());
    }

    /** Something for the sync to do: a spec not acted on yet, a delete, or a CR not yet holding the finalizer. */
    static boolean needsAttention(GenericKubernetesResource cr) {
        return deleting(cr) || !hasFinalizer(cr) || generation(cr) > observedGeneration(cr);
    }

    /** The CR's spec read as strictly as the HTTP API reads a manifest; fields are named {@code spec.…}. */
    static VirtualMachineSpec spec(GenericKubernetesResource cr) {
        Object spec = cr.getAdditionalProperties().get("spec");
        if (!(spec instanceof Map<?, ?>)) {
            throw new InvalidManifestException("spec", "spec is required");
        }
        byte[] json;
        try {
            json = Json.mapper().writeValueAsBytes(spec);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        try {
            return ManifestParser.read(json, "application/json", VirtualMachineSpec.class);
        } catch (InvalidManifestException e) {
            String field = e.field() == null ? "spec" : "spec." + e.field();
            throw new InvalidManifestException(field, e.getMessage().replace(" for " + e.field(), " for " + field));
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> specAsMap(VirtualMachineSpec spec) {
        return Json.mapper().convertValue(spec, Map.class);
    }

    /**
     * Who changed the spec last, as the API server recorded it (the field manager of the newest managed
     * fields entry that touches the spec, other than Vireo's own); "kubectl" when the server keeps none.
     */
    static String principal(GenericKubernetesResource cr) {
        List<ManagedFieldsEntry> entries = cr.getMetadata().getManagedFields();
        String manager = entries == null ? null : entries.stream()
                .filter(e -> e.getManager() != null && !FIELD_MANAGER.equals(e.getManager()))
                .filter(e -> e.getSubresource() == null || e.getSubresource().isEmpty())
                .filter(e -> e.getFieldsV1() != null && String.valueOf(e.getFieldsV1().getAdditionalProperties())
                        .contains("f:spec"))
                .max(Comparator.comparing(e -> e.getTime() == null ? "" : e.getTime()))
                .map(ManagedFieldsEntry::getManager).orElse(null);
        return "kubernetes:" + (manager == null ? "kubectl" : manager);
    }
}
