package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every request under /api is authenticated with a bearer token of the token file; the rest is refused 401. */
class AuthenticationTest {

    @RegisterExtension
    static final RunningVireo vireo = new RunningVireo();

    @Test
    void firstStartWritesAnAdminTokenFileOnlyItsOwnerReads() throws IOException {
        Path tokens = vireo.dataDir().resolve("tokens.csv");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tokens)));
        assertTrue(Files.readString(tokens).contains(vireo.api().token() + ",admin,admin,\"vireo:admins\""),
                Files.readString(tokens));
    }

    @Test
    void aRequestWithoutTokenIsRefused401WithTheErrorBody() {
        for (String path : List.of(Api.vms("default"), "/api/v1/virtualmachines", "/api/v1/nodes", "/metrics",
                Api.vm("nothing-here") + "/history")) {
            Api.Response r = vireo.api().as(null).get(path);
            assertEquals(401, r.status(), path + ": " + r);
            assertEquals("Unauthorized", r.at("/code").asText(), r.toString());
            assertTrue(r.at("/message").asText().contains("Bearer"), r.toString());
            assertEquals("Authorization", r.at("/field").asText(), r.toString());
        }
        assertEquals(401, vireo.api().as(null).create(Manifests.json(Manifests.uniqueName("anon"), "Halted")).status());
    }

    @Test
    void anUnknownTokenIsRefused401() {
        Api.Response r = vireo.api().as("not-a-token-" + UUID.randomUUID()).get(Api.vms("default"));
        assertEquals(401, r.status(), r.toString());
        assertTrue(r.at("/message").asText().contains("not valid"), r.toString());
    }

    @Test
    void aTokenInTheUrlIsNotATokenAtAll() {
        String token = vireo.api().token();
        assertEquals(401, vireo.api().as(null).get(Api.vms("default") + "?access_token=" + token).status());
        assertEquals(401, vireo.api().as(null).get("/api/v1/events?token=" + token).status());
    }

    @Test
    void probesNeedNoToken() {
        assertEquals(200, vireo.api().as(null).get("/healthz").status());
        assertEquals(200, vireo.api().as(null).get("/readyz").status());
    }

    @Test
    void aLineAddedToTheTokenFileWorksAtOnceAndItsRemovalRevokesAtOnce() {
        TokenLines tokens = new TokenLines(vireo.dataDir().resolve("tokens.csv"));
        String token = tokens.add("carol", "vireo:admins");
        assertEquals(200, vireo.api().as(token).get(Api.vms("default")).status());
        tokens.remove(token);
        Api.Response refused = vireo.api().as(token).get(Api.vms("default"));
        assertEquals(401, refused.status(), "a removed line revokes its token at once: " + refused);
        assertEquals(200, vireo.api().get(Api.vms("default")).status(), "the other tokens keep working");
    }

    @Test
    void theHistoryNamesTheAuthenticatedUser() {
        String token = new TokenLines(vireo.dataDir().resolve("tokens.csv")).add("dave", "vireo:admins");
        String name = Manifests.uniqueName("whodid");
        assertEquals(201, vireo.api().as(token).create(Manifests.json(name, "Halted")).status());
        assertEquals(202, vireo.api().action(name, "start").status());
        vireo.api().awaitPhase(name, "Running");
        List<String> principals = vireo.api().history(name).stream()
                .map(e -> e.path("type").asText() + " by " + e.path("principal").asText()).toList();
        assertTrue(principals.contains("VmCreated by dave"), principals.toString());
        assertTrue(principals.contains("StartRequested by admin"), principals.toString());
        assertTrue(principals.contains("Scheduled by system:scheduler"), principals.toString());
        assertTrue(principals.contains("DomainStarted by system:node:local"), principals.toString());
    }
}
