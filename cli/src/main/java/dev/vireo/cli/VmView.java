package dev.vireo.cli;

import com.fasterxml.jackson.databind.JsonNode;

/** What a wait needs to know of a VM at one moment; {@code exists == false} once it is gone. */
record VmView(boolean exists, String phase, String node, String incarnation, JsonNode vm) {
    static final VmView GONE = new VmView(false, null, null, null, null);

    static VmView of(JsonNode vm) {
        return new VmView(true,
                Formats.text(vm, "status", "printableStatus"),
                Formats.text(vm, "status", "node"),
                Formats.text(vm, "status", "incarnation"),
                vm);
    }

    /** "Starting (node local)", "Stopped", or "deleted". */
    String describe() {
        if (!exists) {
            return "deleted";
        }
        String shown = phase == null ? "Unknown" : phase;
        return node == null ? shown : shown + " (node " + node + ")";
    }

    /** Why the VM is in a bad phase, from its Failure condition or any false condition that says why. */
    String reason() {
        if (vm == null) {
            return null;
        }
        String fallback = null;
        for (JsonNode condition : vm.path("status").path("conditions")) {
            String why = Formats.text(condition, "message");
            if (why == null) {
                why = Formats.text(condition, "reason");
            }
            if ("Failure".equals(Formats.text(condition, "type")) && why != null) {
                return why;
            }
            if (fallback == null && "False".equalsIgnoreCase(Formats.text(condition, "status"))) {
                fallback = why;
            }
        }
        return fallback;
    }
}
