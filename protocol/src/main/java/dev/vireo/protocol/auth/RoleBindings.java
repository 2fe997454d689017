package dev.vireo.protocol.auth;

import dev.vireo.protocol.CborSerializable;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Every role binding of the cluster, by {@link RoleBinding#key()}, and the history that made them: what the
 * authorizer asks and what {@code GET …/rolebindings/{name}/history} shows. Pure: no I/O, no framework.
 */
public record RoleBindings(Map<String, RoleBinding> bindings, List<RoleBindingEvent> history)
        implements CborSerializable {

    public static final RoleBindings EMPTY = new RoleBindings(Map.of(), List.of());

    public RoleBindings {
        bindings = Map.copyOf(bindings);
        history = List.copyOf(history);
    }

    public RoleBindings apply(RoleBindingEvent event) {
        Map<String, RoleBinding> next = new TreeMap<>(bindings);
        if (event instanceof RoleBindingEvent.RoleBindingGranted granted) {
            next.put(granted.key(), granted.binding());
        } else {
            next.remove(event.key());
        }
        List<RoleBindingEvent> changes = new java.util.ArrayList<>(history);
        changes.add(event);
        return new RoleBindings(next, changes);
    }

    public Optional<RoleBinding> get(String namespace, String name) {
        return Optional.ofNullable(bindings.get(RoleBinding.key(namespace, name)));
    }

    /** The bindings of {@code namespace} (the cluster's when null). */
    public List<RoleBinding> in(String namespace) {
        return bindings.values().stream().filter(b -> java.util.Objects.equals(b.namespace(), namespace)).toList();
    }

    /** The changes to the binding {@code namespace/name}, oldest first (kept after its removal). */
    public List<RoleBindingEvent> historyOf(String namespace, String name) {
        String key = RoleBinding.key(namespace, name);
        return history.stream().filter(e -> e.key().equals(key)).toList();
    }

    /**
     * Whether {@code user} may do {@code verb} in {@code namespace} (null: cluster-wide verbs). Group
     * {@value User#ADMINS_GROUP} may do anything; a cluster role counts in every namespace.
     */
    public boolean allows(User user, Verb verb, String namespace) {
        if (user.isAdmin()) {
            return true;
        }
        for (RoleBinding b : bindings.values()) {
            if (!b.binds(user) || !b.role().allows(verb)) {
                continue;
            }
            if (b.clusterWide() || (namespace != null && namespace.equals(b.namespace()))) {
                return true;
            }
        }
        return false;
    }

    /** The namespaces {@code user} may read; empty when it may read every namespace. */
    public Optional<Set<String>> readableNamespaces(User user) {
        if (allows(user, Verb.READ_CLUSTER, null)) {
            return Optional.empty();
        }
        Set<String> namespaces = new HashSet<>();
        for (RoleBinding b : bindings.values()) {
            if (b.binds(user) && !b.clusterWide() && b.role().allows(Verb.READ)) {
                namespaces.add(b.namespace());
            }
        }
        return Optional.of(Set.copyOf(namespaces));
    }
}
