package dev.vireo.protocol.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.protocol.vm.EventMeta;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RoleBindingsTest {

    private static final User ALICE = new User("alice", "1", Set.of("team-a"));
    private static final EventMeta META = new EventMeta(Instant.EPOCH, "r", "admin");

    private static RoleBindings with(RoleBinding... bindings) {
        RoleBindings all = RoleBindings.EMPTY;
        for (RoleBinding b : bindings) {
            all = all.apply(new RoleBindingEvent.RoleBindingGranted(META, b));
        }
        return all;
    }

    private static RoleBinding binding(String namespace, Role role, Subject subject) {
        return new RoleBinding(namespace, "b-" + role.apiName(), role, List.of(subject));
    }

    @Test
    void aViewerReadsOnlyItsNamespace() {
        RoleBindings all = with(binding("a", Role.VIEWER, new Subject(Subject.USER, "alice")));
        assertTrue(all.allows(ALICE, Verb.READ, "a"));
        assertFalse(all.allows(ALICE, Verb.WRITE, "a"));
        assertFalse(all.allows(ALICE, Verb.READ, "b"));
        assertFalse(all.allows(ALICE, Verb.READ_CLUSTER, null));
        assertEquals(Optional.of(Set.of("a")), all.readableNamespaces(ALICE));
    }

    @Test
    void eachRoleAllowsWhatTheOneBelowDoesAndMore() {
        for (Verb verb : Verb.values()) {
            assertTrue(!Role.VIEWER.allows(verb) || Role.EDITOR.allows(verb), verb.name());
            assertTrue(!Role.EDITOR.allows(verb) || Role.ADMIN.allows(verb), verb.name());
            assertTrue(!Role.CLUSTER_VIEWER.allows(verb) || Role.CLUSTER_ADMIN.allows(verb), verb.name());
        }
        assertFalse(Role.EDITOR.allows(Verb.GRANT));
        assertFalse(Role.ADMIN.allows(Verb.WRITE_CLUSTER));
    }

    @Test
    void aGroupBindingBindsItsMembers() {
        RoleBindings all = with(binding("a", Role.EDITOR, new Subject(Subject.GROUP, "team-a")));
        assertTrue(all.allows(ALICE, Verb.WRITE, "a"));
        assertFalse(all.allows(new User("bob", "2", Set.of()), Verb.READ, "a"));
    }

    @Test
    void aClusterRoleCountsInEveryNamespaceAndTheAdminsGroupMayDoAnything() {
        RoleBindings all = with(binding(null, Role.CLUSTER_VIEWER, new Subject(Subject.USER, "alice")));
        assertTrue(all.allows(ALICE, Verb.READ, "anywhere"));
        assertFalse(all.allows(ALICE, Verb.WRITE, "anywhere"));
        assertEquals(Optional.empty(), all.readableNamespaces(ALICE));
        assertTrue(RoleBindings.EMPTY.allows(new User("root", "0", Set.of(User.ADMINS_GROUP)), Verb.WRITE_CLUSTER, null));
    }

    @Test
    void aRemovedBindingGrantsNothingAndItsHistoryStays() {
        RoleBinding viewer = binding("a", Role.VIEWER, new Subject(Subject.USER, "alice"));
        RoleBindings all = with(viewer).apply(new RoleBindingEvent.RoleBindingRemoved(META, "a", viewer.name()));
        assertFalse(all.allows(ALICE, Verb.READ, "a"));
        assertEquals(List.of("RoleBindingGranted", "RoleBindingRemoved"), all.historyOf("a", viewer.name()).stream()
                .map(RoleBindingEvent::typeOf).toList());
    }
}
