package dev.vireo.protocol.auth;

import dev.vireo.protocol.CborSerializable;
import java.util.List;

/**
 * A role granted to subjects in {@code namespace}, or cluster-wide when {@code namespace} is null (a
 * clusterrolebinding); {@code name} is unique within its namespace (or among the cluster's bindings).
 */
public record RoleBinding(String namespace, String name, Role role, List<Subject> subjects)
        implements CborSerializable {

    public RoleBinding {
        subjects = List.copyOf(subjects);
    }

    public boolean clusterWide() {
        return namespace == null;
    }

    /** Where it lives, as {@code ns/name} or {@code name} for a clusterrolebinding. */
    public String key() {
        return key(namespace, name);
    }

    public static String key(String namespace, String name) {
        return namespace == null ? name : namespace + "/" + name;
    }

    public boolean binds(User user) {
        return subjects.stream().anyMatch(s -> s.matches(user));
    }
}
