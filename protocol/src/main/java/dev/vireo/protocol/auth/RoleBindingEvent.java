package dev.vireo.protocol.auth;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.vireo.protocol.CborSerializable;
import dev.vireo.protocol.TypeNames;
import dev.vireo.protocol.vm.EventMeta;

/**
 * The history of who may do what: every grant and every removal, with who did it and when. The type names
 * are API (a binding's history): add new ones, never rename.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = RoleBindingEvent.RoleBindingGranted.class, name = "RoleBindingGranted"),
        @JsonSubTypes.Type(value = RoleBindingEvent.RoleBindingRemoved.class, name = "RoleBindingRemoved")
})
public sealed interface RoleBindingEvent extends CborSerializable {

    EventMeta meta();

    /** {@code ns/name}, or {@code name} for a clusterrolebinding. */
    String key();

    static String typeOf(RoleBindingEvent event) {
        return TypeNames.of(RoleBindingEvent.class).get(event.getClass());
    }

    /** The binding was created or replaced: it grants {@code binding.role()} to its subjects from now on. */
    record RoleBindingGranted(EventMeta meta, RoleBinding binding) implements RoleBindingEvent {
        @Override
        public String key() {
            return binding.key();
        }
    }

    record RoleBindingRemoved(EventMeta meta, String namespace, String name) implements RoleBindingEvent {
        @Override
        public String key() {
            return RoleBinding.key(namespace, name);
        }
    }
}
