package dev.vireo.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import dev.vireo.protocol.vm.VirtualMachineSpec;

/** A posted VirtualMachine. {@code status} is accepted (so a VM read back can be applied again) and ignored. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VirtualMachineManifest(String apiVersion, String kind, ObjectMeta metadata, VirtualMachineSpec spec,
                                     JsonNode status) {

    public static final String API_VERSION = "vireo.dev/v1";
    public static final String KIND = "VirtualMachine";
}
