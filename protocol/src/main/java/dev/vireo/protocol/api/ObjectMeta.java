package dev.vireo.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/** Kubernetes-style object metadata, as posted in manifests and returned with every VM. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ObjectMeta(String name, String namespace, Map<String, String> labels, Map<String, String> annotations,
                         String uid, Long generation, String resourceVersion, String creationTimestamp) {
}
