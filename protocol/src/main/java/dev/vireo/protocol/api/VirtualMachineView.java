package dev.vireo.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import java.util.List;

/** A VM as the API shows it: metadata, spec and status. Also the shape of {@code state?at=}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VirtualMachineView(String apiVersion, String kind, ObjectMeta metadata, VirtualMachineSpec spec,
                                 Status status) {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Status(String printableStatus, String node, long incarnation, List<Condition> conditions,
                         long observedGeneration, Object migration, List<Object> snapshots, Integer crashCount,
                         String restartAt) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Condition(String type, String status, String reason, String message, String lastTransitionTime) {
    }
}
