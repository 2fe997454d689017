package dev.vireo.protocol.vm;

import java.util.List;

/** The outcome of a command: events to persist (maybe none: nothing to change), or a refusal. */
public sealed interface Decision {

    record Accepted(List<VmEvent> events) implements Decision {
    }

    record Rejected(Rejection rejection) implements Decision {
    }

    static Decision accept(List<VmEvent> events) {
        return new Accepted(List.copyOf(events));
    }

    static Decision accept(VmEvent... events) {
        return new Accepted(List.of(events));
    }

    static Decision unchanged() {
        return new Accepted(List.of());
    }

    static Decision reject(Rejection rejection) {
        return new Rejected(rejection);
    }
}
