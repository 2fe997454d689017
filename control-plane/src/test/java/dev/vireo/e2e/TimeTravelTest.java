package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.e2e.Api.Response;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code GET .../state?at=}: a VM as it was at any past instant, rebuilt from its log. */
class TimeTravelTest {

    @RegisterExtension
    static final RunningVireo vireo = new RunningVireo();

    private final Api api = vireo.api();

    /** What the VM looked like (GET) when the instant was taken. */
    record Seen(String phase, String resourceVersion, String runStrategy) {
        static Seen of(Response vm) {
            return new Seen(vm.phase(), vm.resourceVersion(), vm.at("/spec/runStrategy").asText());
        }
    }

    @Test
    void stateAtEachPastInstantIsWhatTheVmWasThen() {
        String name = Manifests.uniqueName("travel");
        Instant beforeCreation = Instant.now();
        Map<Instant, Seen> seen = new LinkedHashMap<>();

        assertEquals(201, api.create(Manifests.json(name, "Always")).status());
        remember(seen, api.awaitPhase(name, "Running"));
        assertEquals(202, api.action(name, "pause").status());
        remember(seen, api.awaitPhase(name, "Paused"));
        assertEquals(202, api.action(name, "unpause").status());
        remember(seen, api.awaitPhase(name, "Running"));
        assertEquals(202, api.action(name, "stop").status());
        remember(seen, api.awaitPhase(name, "Stopped"));
        assertEquals(202, api.action(name, "start").status());
        remember(seen, api.awaitPhase(name, "Running"));
        Response deleted = api.delete(Api.vm(name));
        assertTrue(deleted.ok(), deleted::toString);
        api.awaitGone(name);
        Instant afterDelete = Instant.now();

        assertEquals(5, seen.values().stream().map(Seen::resourceVersion).distinct().count(),
                "each instant saw another version: " + seen);
        seen.forEach((at, then) -> {
            Response state = stateAt(name, at.toString());
            assertEquals(200, state.status(), () -> at + ": " + state);
            assertEquals(then, Seen.of(state), "state at " + at);
            assertEquals(name, state.at("/metadata/name").asText());
        });

        assertEquals(404, stateAt(name, beforeCreation.toString()).status(), "before creation");
        Response gone = stateAt(name, afterDelete.toString());
        assertEquals(404, gone.status(), "after delete: " + gone);
        assertEquals("NotFound", gone.at("/code").asText());
    }

    @Test
    void betweenDeleteAndRecreateTheVmDidNotExist() {
        String name = Manifests.uniqueName("gap");
        String firstUid = api.create(Manifests.json(name, "Halted")).at("/metadata/uid").asText();
        Instant first = Instant.now();
        assertEquals(200, api.delete(Api.vm(name)).status());
        Instant between = Instant.now();
        String secondUid = api.create(Manifests.json(name, "Halted", "128Mi")).at("/metadata/uid").asText();
        Instant second = Instant.now();

        assertEquals(firstUid, stateAt(name, first.toString()).at("/metadata/uid").asText());
        assertEquals("64Mi", stateAt(name, first.toString()).at("/spec/memory").asText());
        assertEquals(404, stateAt(name, between.toString()).status());
        Response now = stateAt(name, second.toString());
        assertEquals(secondUid, now.at("/metadata/uid").asText());
        assertEquals("128Mi", now.at("/spec/memory").asText());
        assertEquals(api.get(Api.vm(name)).resourceVersion(), now.resourceVersion());
    }

    @Test
    void anInstantWithAnOffsetMeansTheSameMoment() {
        String name = Manifests.uniqueName("offset");
        assertEquals(201, api.create(Manifests.json(name, "Halted")).status());
        Instant at = Instant.now();
        assertEquals(202, api.action(name, "start").status());
        api.awaitPhase(name, "Running");

        String inUtc = stateAt(name, at.toString()).resourceVersion();
        Response withOffset = stateAt(name, at.atOffset(ZoneOffset.ofHours(2)).toString());
        assertEquals(200, withOffset.status(), withOffset::toString);
        assertEquals("Stopped", withOffset.phase());
        assertEquals(inUtc, withOffset.resourceVersion());
        assertEquals("1", inUtc);
    }

    @Test
    void stateOfANameThatNeverExistedIsNotFound() {
        Response r = stateAt(Manifests.uniqueName("never"), Instant.now().toString());
        assertEquals(404, r.status(), r::toString);
        assertEquals("NotFound", r.at("/code").asText());
    }

    @Test
    void aBadInstantIsRejectedNamingTheField() {
        String name = Manifests.uniqueName("badat");
        assertEquals(201, api.create(Manifests.json(name, "Halted")).status());
        for (String bad : new String[] {"yesterday", "2026-13-01T00:00:00Z", "1700000000", ""}) {
            Response r = stateAt(name, bad);
            assertEquals(400, r.status(), () -> "at=" + bad + ": " + r);
            assertEquals("Invalid", r.at("/code").asText());
            assertEquals("at", r.at("/field").asText());
            assertTrue(r.at("/message").asText().length() > 10, r::toString);
        }
        Response missing = api.get(Api.vm(name) + "/state");
        assertEquals(400, missing.status(), missing::toString);
        assertEquals("at", missing.at("/field").asText());
    }

    /** The instant is taken after the answer: everything the answer shows was recorded before it. */
    private static void remember(Map<Instant, Seen> seen, Response vm) {
        Seen then = Seen.of(vm);
        seen.put(Instant.now(), then);
    }

    private Response stateAt(String name, String at) {
        return api.get(Api.vm(name) + "/state?at=" + URLEncoder.encode(at, StandardCharsets.UTF_8));
    }
}
