package dev.vireo.protocol.vm;

import java.util.List;

/**
 * The outcome of a command: the events to persist and the effects to carry out once they are persisted
 * (maybe none of either: nothing to change), or a refusal.
 */
public sealed interface Decision {

    record Accepted(List<VmEvent> events, List<VmEffect> effects) implements Decision {
        public Accepted {
            events = List.copyOf(events);
            effects = List.copyOf(effects);
        }
    }

    record Rejected(Rejection rejection) implements Decision {
    }

    static Decision unchanged() {
        return new Accepted(List.of(), List.of());
    }

    static Decision reject(Rejection rejection) {
        return new Rejected(rejection);
    }
}
