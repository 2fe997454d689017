package dev.vireo.kube;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vireo.protocol.api.Json;
import dev.vireo.protocol.api.VirtualMachineView;
import dev.vireo.protocol.api.VirtualMachineViews;
import dev.vireo.protocol.vm.VmState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The CR's {@code .status}: what {@link VirtualMachineViews} shows over HTTP, except that
 * {@code observedGeneration} is the CR's generation the sync last acted on, and that a spec the sync
 * could not apply is shown as a {@code Failure} condition (reason InvalidSpec or Rejected).
 */
final class VirtualMachineStatus {

    static final String FAILURE = "Failure";
    static final String INVALID_SPEC = "InvalidSpec";
    static final String REJECTED = "Rejected";

    private VirtualMachineStatus() {
    }

    static VirtualMachineView.Condition failure(String reason, String message, String since) {
        return new VirtualMachineView.Condition(FAILURE, "True", reason, message, since);
    }

    /**
     * {@code state} may be a VM that does not exist (a CR that was never applied): then only the
     * generation and the sync's failure are shown.
     */
    static JsonNode of(VmState state, long observedGeneration, VirtualMachineView.Condition syncFailure) {
        VirtualMachineView.Status status;
        if (state.exists()) {
            VirtualMachineView.Status s = VirtualMachineViews.of(state).status();
            List<VirtualMachineView.Condition> conditions = new ArrayList<>(s.conditions());
            if (syncFailure != null) {
                conditions.removeIf(c -> FAILURE.equals(c.type()));
                conditions.add(syncFailure);
            }
            status = new VirtualMachineView.Status(s.printableStatus(), s.node(), s.incarnation(), conditions,
                    observedGeneration, s.migration(), s.snapshots(), s.crashCount(), s.restartAt());
        } else {
            status = new VirtualMachineView.Status(null, null, 0, syncFailure == null ? List.of() : List.of(syncFailure),
                    observedGeneration, null, null, null, null);
        }
        return normalized(status);
    }

    /** The sync's own Failure condition on {@code status}, kept while no newer generation was tried. */
    static VirtualMachineView.Condition syncFailure(Map<String, Object> status) {
        if (!(status.get("conditions") instanceof List<?> conditions)) {
            return null;
        }
        for (Object c : conditions) {
            if (c instanceof Map<?, ?> m && FAILURE.equals(m.get("type"))
                    && (INVALID_SPEC.equals(m.get("reason")) || REJECTED.equals(m.get("reason")))) {
                return failure((String) m.get("reason"), (String) m.get("message"), (String) m.get("lastTransitionTime"));
            }
        }
        return null;
    }

    /** Through JSON text and back, so that a status read from the server and one built here compare equal. */
    static JsonNode normalized(Object value) {
        try {
            return Json.mapper().readTree(Json.mapper().writeValueAsBytes(value));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
