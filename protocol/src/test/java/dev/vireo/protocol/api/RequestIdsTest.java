package dev.vireo.protocol.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A client's X-Request-Id: a short HTTP token that cannot pass for one of Vireo's own ids. */
class RequestIdsTest {

    @ParameterizedTest
    @ValueSource(strings = {"node-local-1", "NODE-local-1", "node-lost-1234", "recovery-abc", "backoff-1700000000000",
            "kube-0f3a-2", "Kube-x"})
    void aClientCannotUseTheIdsVireoGivesItsOwnActions(String id) {
        InvalidManifestException e = assertThrows(InvalidManifestException.class, () -> RequestIds.checked(id));
        assertEquals("X-Request-Id", e.field());
        assertTrue(e.getMessage().contains("names what Vireo itself does"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"a b", "a\"b", "a/b", "a,b", "a:b", "é", "a\u0000b", "(x)"})
    void anIdIsAnHttpToken(String id) {
        assertEquals("X-Request-Id", assertThrows(InvalidManifestException.class, () -> RequestIds.checked(id)).field());
    }

    @Test
    void anIdIsAtMost128Characters() {
        assertEquals("x".repeat(128), RequestIds.checked("x".repeat(128)));
        InvalidManifestException e = assertThrows(InvalidManifestException.class,
                () -> RequestIds.checked("x".repeat(8000)));
        assertTrue(e.getMessage().length() < 100, e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"kill-1", "e2e-web-1", "0f3a9c1e-aaaa-bbbb-cccc-000000000000", "my.trace_1", "nodes1", "a"})
    void ordinaryIdsAreKept(String id) {
        assertEquals(id, RequestIds.checked(id));
    }

    @RepeatedTest(20)
    void generatedIdsAreAcceptedAsIfAClientSentThem() {
        String id = RequestIds.generated();
        assertEquals(id, RequestIds.checked(id));
    }
}
