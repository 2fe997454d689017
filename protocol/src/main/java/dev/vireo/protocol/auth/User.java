package dev.vireo.protocol.auth;

import java.util.Set;

/**
 * Who a request comes from, as the token file (or TokenReview) says: the user's name (the {@code principal}
 * of every event the request causes), its uid, and its groups.
 */
public record User(String name, String uid, Set<String> groups) {

    /** Members of this group are cluster-admins, whatever the bindings say. */
    public static final String ADMINS_GROUP = "vireo:admins";

    public User {
        groups = Set.copyOf(groups);
    }

    public boolean isAdmin() {
        return groups.contains(ADMINS_GROUP);
    }
}
