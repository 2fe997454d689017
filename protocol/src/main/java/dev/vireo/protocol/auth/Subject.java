package dev.vireo.protocol.auth;

import dev.vireo.protocol.CborSerializable;

/** Whom a binding grants its role: a {@code User} or a {@code Group}, by name. */
public record Subject(String kind, String name) implements CborSerializable {

    public static final String USER = "User";
    public static final String GROUP = "Group";

    public boolean matches(User user) {
        return USER.equals(kind) ? user.name().equals(name) : GROUP.equals(kind) && user.groups().contains(name);
    }
}
