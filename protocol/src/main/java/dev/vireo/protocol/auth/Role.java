package dev.vireo.protocol.auth;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * What a binding grants. Namespace roles: {@code viewer} reads, {@code editor} also acts, {@code admin} also
 * grants roles in its namespace. Cluster roles: {@code cluster-viewer} reads every namespace and the nodes,
 * {@code cluster-admin} may do anything.
 */
public enum Role {
    VIEWER("viewer", false),
    EDITOR("editor", false),
    ADMIN("admin", false),
    CLUSTER_VIEWER("cluster-viewer", true),
    CLUSTER_ADMIN("cluster-admin", true);

    private final String apiName;
    private final boolean cluster;

    Role(String apiName, boolean cluster) {
        this.apiName = apiName;
        this.cluster = cluster;
    }

    @JsonValue
    public String apiName() {
        return apiName;
    }

    /** A cluster role is bound by a clusterrolebinding, a namespace role by a namespace's rolebinding. */
    public boolean cluster() {
        return cluster;
    }

    @JsonCreator
    public static Role of(String name) {
        return find(name).orElseThrow(() -> new IllegalArgumentException("no role " + name));
    }

    public static Optional<Role> find(String name) {
        String wanted = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(r -> r.apiName.equals(wanted)).findFirst();
    }

    /** Whether this role, bound in a namespace (or cluster-wide), allows {@code verb} there. */
    public boolean allows(Verb verb) {
        return switch (this) {
            case VIEWER -> verb == Verb.READ;
            case EDITOR -> verb == Verb.READ || verb == Verb.WRITE;
            case ADMIN -> verb == Verb.READ || verb == Verb.WRITE || verb == Verb.GRANT;
            case CLUSTER_VIEWER -> verb == Verb.READ || verb == Verb.READ_CLUSTER;
            case CLUSTER_ADMIN -> true;
        };
    }
}
