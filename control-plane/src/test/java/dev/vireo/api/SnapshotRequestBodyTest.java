package dev.vireo.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.protocol.api.InvalidManifestException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Snapshot and restore bodies are read like every client body: bounded, strict, and refused naming the field. */
class SnapshotRequestBodyTest {

    private static final Set<String> SNAPSHOT = Set.of("name", "memory");

    private static InvalidManifestException refused(String body) {
        return assertThrows(InvalidManifestException.class,
                () -> SnapshotRoutes.body(body.getBytes(StandardCharsets.UTF_8), SNAPSHOT));
    }

    @Test
    void nestingBeyondTheLimitIsRefusedAsBodyNotParsedToTheEnd() {
        String deep = "{\"name\": " + "[".repeat(5_000) + "]".repeat(5_000) + "}";
        InvalidManifestException e = refused(deep);
        assertEquals("body", e.field());
        assertTrue(e.getMessage().length() < 400, e::getMessage);
    }

    @Test
    void trailingTokensAreRefused() {
        assertEquals("body", refused("{\"name\": \"s1\"} {}").field());
    }

    @Test
    void aLongUnknownFieldIsNamedShortened() {
        InvalidManifestException e = refused("{\"" + "x".repeat(10_000) + "\": 1}");
        assertTrue(e.field().length() <= 65, e::field);
        assertFalse(e.getMessage().contains("x".repeat(100)));
    }

    @Test
    void memoryMustBeABooleanNotText() {
        var json = SnapshotRoutes.body("{\"name\": \"s1\", \"memory\": \"true\"}".getBytes(StandardCharsets.UTF_8),
                SNAPSHOT);
        assertEquals("memory", assertThrows(InvalidManifestException.class, () -> SnapshotRoutes.memory(json)).field());
        assertEquals("s1", SnapshotRoutes.field(json, "name"));
    }
}
