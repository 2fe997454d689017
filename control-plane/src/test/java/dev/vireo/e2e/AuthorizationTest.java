package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vireo.e2e.SseSubscription.Event;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Roles per namespace, over HTTP and the CLI: viewers read, editors also act, admins also grant; a request
 * outside one's namespaces is refused 403 whether or not the VM exists; the lists and the event stream show
 * only what one may read.
 */
class AuthorizationTest {

    @RegisterExtension
    static final RunningVireo vireo = new RunningVireo();

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    private final Api admin = vireo.api();
    private final TokenLines tokens = new TokenLines(vireo.dataDir().resolve("tokens.csv"));

    /** A fresh namespace name: the tests share one Vireo. */
    private static String namespace(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 6);
    }

    private Api.Response bind(Api as, String namespace, String binding, String role, String subjects) {
        return as.put("/api/v1/namespaces/" + namespace + "/rolebindings/" + binding, Api.JSON_TYPE,
                "{\"role\": \"" + role + "\", \"subjects\": [" + subjects + "]}");
    }

    private static String user(String name) {
        return "{\"kind\": \"User\", \"name\": \"" + name + "\"}";
    }

    /** A user with {@code role} in {@code namespace} (bound by the admin), as a client. */
    private Api userWith(String role, String namespace) {
        String name = "u" + UUID.randomUUID().toString().substring(0, 6);
        assertEquals(201, bind(admin, namespace, name + "-" + role, role, user(name)).status());
        return admin.as(tokens.add(name, ""));
    }

    private static Api.Response createIn(Api as, String namespace, String name) {
        return as.create(namespace, Manifests.json(name, "Halted"));
    }

    private static String vm(String namespace, String name) {
        return Api.vms(namespace) + "/" + name;
    }

    @Test
    void anEditorOfOneNamespaceCreatesThereAndIsRefusedElsewhere() {
        String mine = namespace("team-a");
        String other = namespace("team-b");
        Api alice = userWith("editor", mine);
        String name = Manifests.uniqueName("web");

        Api.Response created = createIn(alice, mine, name);
        assertEquals(201, created.status(), created.toString());
        assertEquals(202, alice.post(vm(mine, name) + "/start", Api.JSON_TYPE, "", null).status());

        Api.Response refused = createIn(alice, other, name);
        assertEquals(403, refused.status(), refused.toString());
        assertEquals("Forbidden", refused.at("/code").asText());
        assertTrue(refused.at("/message").asText().contains(other), refused.toString());
        assertEquals(403, alice.get(Api.vms("default")).status());
        assertEquals(403, alice.get("/api/v1/nodes").status(), "nodes are for cluster roles");
    }

    @Test
    void aViewerReadsAndIsRefusedActing() {
        String ns = namespace("view");
        String name = Manifests.uniqueName("db");
        assertEquals(201, createIn(admin, ns, name).status());
        Api viewer = userWith("viewer", ns);

        assertEquals(200, viewer.get(vm(ns, name)).status());
        assertEquals(200, viewer.get(Api.vms(ns)).status());
        assertEquals(200, viewer.get(vm(ns, name) + "/history").status());
        assertEquals(200, viewer.get(vm(ns, name) + "/state?at=" + Instant.now()).status());

        for (Api.Response r : List.of(viewer.post(vm(ns, name) + "/start", Api.JSON_TYPE, "", null),
                viewer.delete(vm(ns, name)),
                viewer.put(vm(ns, name), Api.JSON_TYPE, Manifests.json(name, "Always")),
                createIn(viewer, ns, Manifests.uniqueName("new")))) {
            assertEquals(403, r.status(), r.toString());
            assertTrue(r.at("/message").asText().contains("editor"), r.toString());
        }
        assertEquals("Stopped", admin.get(vm(ns, name)).phase(), "nothing a viewer asked for happened");
    }

    @Test
    void aRequestOutsideOnesNamespacesLeaksNothingAboutWhatExists() {
        String hidden = namespace("hidden");
        String existing = Manifests.uniqueName("secret");
        assertEquals(201, createIn(admin, hidden, existing).status());
        Api outsider = userWith("admin", namespace("mine"));

        for (String suffix : List.of("", "/history", "/state?at=" + Instant.now(), "/console?follow=false")) {
            Api.Response there = outsider.get(vm(hidden, existing) + suffix);
            Api.Response notThere = outsider.get(vm(hidden, "never-was") + suffix);
            assertEquals(403, there.status(), suffix + ": " + there);
            assertEquals(there.text(), notThere.text(), suffix + ": the same answer whether or not the VM exists");
        }
        Api.Response action = outsider.post(vm(hidden, existing) + "/stop", Api.JSON_TYPE, "", null);
        Api.Response actionNone = outsider.post(vm(hidden, "never-was") + "/stop", Api.JSON_TYPE, "", null);
        assertEquals(403, action.status());
        assertEquals(action.text(), actionNone.text());
    }

    @Test
    void anEditorCannotGrantRolesAndANamespaceAdminGrantsOnlyInItsNamespace() {
        String ns = namespace("grants");
        Api editor = userWith("editor", ns);
        Api.Response refused = bind(editor, ns, "self", "admin", user("someone"));
        assertEquals(403, refused.status(), refused.toString());
        assertTrue(refused.at("/message").asText().contains("role admin"), refused.toString());
        assertEquals(403, editor.get("/api/v1/namespaces/" + ns + "/rolebindings").status());

        Api nsAdmin = userWith("admin", ns);
        assertEquals(201, bind(nsAdmin, ns, "helpers", "viewer", user("helper")).status());
        assertEquals(403, bind(nsAdmin, namespace("elsewhere"), "helpers", "viewer", user("helper")).status());
        assertEquals(403, nsAdmin.put("/api/v1/clusterrolebindings/me", Api.JSON_TYPE,
                "{\"role\": \"cluster-admin\", \"subjects\": [" + user("me") + "]}").status());
    }

    @Test
    void grantingAndRemovingIsRecordedWithWhoDidItAndWhen() {
        String ns = namespace("audit");
        Instant before = Instant.now();
        assertEquals(201, bind(admin, ns, "devs", "editor", "{\"kind\": \"Group\", \"name\": \"devs\"}").status());
        Api dev = admin.as(tokens.add("erin", "devs"));
        assertEquals(201, createIn(dev, ns, Manifests.uniqueName("grp")).status(), "a group's binding counts");
        assertEquals(200, bind(admin, ns, "devs", "viewer", "{\"kind\": \"Group\", \"name\": \"devs\"}").status());
        assertEquals(403, createIn(dev, ns, Manifests.uniqueName("grp")).status(), "replaced by a viewer binding");

        Api.Response get = admin.get("/api/v1/namespaces/" + ns + "/rolebindings/devs");
        assertEquals("viewer", get.at("/role").asText(), get.toString());
        assertEquals(200, admin.delete("/api/v1/namespaces/" + ns + "/rolebindings/devs").status());
        assertEquals(404, admin.get("/api/v1/namespaces/" + ns + "/rolebindings/devs").status());
        assertEquals(403, dev.get(Api.vms(ns)).status(), "the removal counts at once");

        JsonNode history = admin.get("/api/v1/namespaces/" + ns + "/rolebindings/devs/history").json().path("items");
        List<String> entries = new ArrayList<>();
        history.forEach(e -> entries.add(e.path("type").asText() + " " + e.path("data").path("role").asText("")
                + " by " + e.path("principal").asText()));
        assertEquals(List.of("RoleBindingGranted editor by admin", "RoleBindingGranted viewer by admin",
                "RoleBindingRemoved  by admin"), entries);
        assertFalse(Instant.parse(history.get(0).path("timestamp").asText()).isBefore(before.minusSeconds(1)));
    }

    @Test
    void aBindingThatMakesNoSenseIsRefused400NamingTheField() {
        String ns = namespace("bad");
        Api.Response unknown = bind(admin, ns, "x", "superuser", user("a"));
        assertEquals(400, unknown.status());
        assertEquals("role", unknown.at("/field").asText());
        assertEquals("role", bind(admin, ns, "x", "cluster-admin", user("a")).at("/field").asText());
        assertEquals("subjects[0].kind", bind(admin, ns, "x", "viewer", "{\"kind\": \"Robot\", \"name\": \"r\"}")
                .at("/field").asText());
        assertEquals("subjects", bind(admin, ns, "x", "viewer", "").at("/field").asText());
    }

    @Test
    void theListOfEveryNamespaceShowsOnlyReadableOnes() {
        String mine = namespace("listed");
        String other = namespace("unlisted");
        assertEquals(201, createIn(admin, mine, Manifests.uniqueName("a")).status());
        assertEquals(201, createIn(admin, other, Manifests.uniqueName("b")).status());
        Api viewer = userWith("viewer", mine);

        Set<String> namespaces = new java.util.HashSet<>();
        viewer.get("/api/v1/virtualmachines").json().path("items")
                .forEach(i -> namespaces.add(i.at("/metadata/namespace").asText()));
        assertEquals(Set.of(mine), namespaces);
    }

    @Test
    void clusterRolesReadAndChangeTheNodes() {
        String viewerToken = tokens.add("watcher", "");
        assertEquals(201, admin.put("/api/v1/clusterrolebindings/watchers", Api.JSON_TYPE,
                "{\"role\": \"cluster-viewer\", \"subjects\": [" + user("watcher") + "]}").status());
        Api watcher = admin.as(viewerToken);
        assertEquals(200, watcher.get("/api/v1/nodes").status());
        assertEquals(200, watcher.get("/api/v1/virtualmachines").status());
        assertEquals(403, watcher.post("/api/v1/nodes/local/cordon", Api.JSON_TYPE, "", null).status());
        assertEquals(403, watcher.create("default", Manifests.json(Manifests.uniqueName("w"), "Halted")).status());
    }

    @Test
    void aViewersEventStreamShowsOnlyItsNamespaces() {
        String mine = namespace("seen");
        String other = namespace("unseen");
        Api viewer = userWith("viewer", mine);
        String hiddenVm = Manifests.uniqueName("hidden");
        String seenVm = Manifests.uniqueName("seen");
        try (SseSubscription stream = SseSubscription.open(viewer, "since=0")) {
            assertEquals(200, stream.status());
            assertEquals(201, createIn(admin, other, hiddenVm).status());
            assertEquals(201, createIn(admin, mine, seenVm).status());
            List<Event> events = stream.takeUntil(e -> e.vm().equals(mine + "/" + seenVm), PATIENCE);
            Set<String> namespaces = events.stream().map(e -> e.data().path("namespace").asText())
                    .collect(Collectors.toSet());
            assertEquals(Set.of(mine), namespaces, "only the viewer's namespace, no nodes' events");
        }
        try (SseSubscription refused = SseSubscription.open(viewer, "namespace=" + other)) {
            assertEquals(403, refused.status());
        }
    }

    @Test
    void aBrowserOpensTheStreamWithAOneTimeTicketNotItsToken() {
        String mine = namespace("ticket");
        Api viewer = userWith("viewer", mine);
        Api.Response issued = viewer.post("/api/v1/events/tickets", Api.JSON_TYPE, "", null);
        assertEquals(201, issued.status(), issued.toString());
        String ticket = issued.at("/ticket").asText();
        assertFalse(issued.text().contains(viewer.token()), "a ticket is not the token");

        String name = Manifests.uniqueName("t");
        try (SseSubscription stream = SseSubscription.open(viewer.as(null), "ticket=" + ticket)) {
            assertEquals(200, stream.status());
            assertEquals(201, createIn(admin, namespace("other"), Manifests.uniqueName("x")).status());
            assertEquals(201, createIn(admin, mine, name).status());
            List<Event> events = stream.takeUntil(e -> e.vm().equals(mine + "/" + name), PATIENCE);
            assertTrue(events.stream().allMatch(e -> e.data().path("namespace").asText().equals(mine)),
                    "the ticket's user's namespaces only");
        }
        try (SseSubscription again = SseSubscription.open(viewer.as(null), "ticket=" + ticket)) {
            assertEquals(401, again.status(), "a ticket opens one stream");
        }
        assertEquals(401, viewer.as(null).get(Api.vms(mine) + "?ticket=" + ticket).status(), "and nothing else");
    }

    @Test
    void revokingATokenClosesItsOpenStream() {
        String ns = namespace("revoked");
        String name = "r" + UUID.randomUUID().toString().substring(0, 6);
        assertEquals(201, bind(admin, ns, "r", "viewer", user(name)).status());
        String token = tokens.add(name, "");
        try (SseSubscription stream = SseSubscription.open(admin.as(token), "namespace=" + ns)) {
            assertEquals(200, stream.status());
            assertFalse(stream.endsWithin(Duration.ofSeconds(2)), "open while the token is valid");
            tokens.remove(token);
            assertTrue(stream.endsWithin(Duration.ofSeconds(5)), "closed within 5 s of the token's removal");
        }
        assertEquals(401, admin.as(token).get(Api.vms(ns)).status());
    }

    @Test
    void removingTheBindingClosesTheStream() {
        String ns = namespace("unbound");
        Api viewer = userWith("viewer", ns);
        try (SseSubscription stream = SseSubscription.open(viewer, "")) {
            assertEquals(200, stream.status());
            String binding = admin.get("/api/v1/namespaces/" + ns + "/rolebindings").at("/items/0/metadata/name").asText();
            assertEquals(200, admin.delete("/api/v1/namespaces/" + ns + "/rolebindings/" + binding).status());
            assertTrue(stream.endsWithin(Duration.ofSeconds(5)), "closed within 5 s of the binding's removal");
        }
    }

    @Test
    void theCliSaysWhyItWasRefused() {
        String ns = namespace("cli");
        Api viewer = userWith("viewer", ns);
        String name = Manifests.uniqueName("c");
        assertEquals(201, createIn(admin, ns, name).status());

        CliRun listed = cli("get", "vms", "-n", ns, "--token", viewer.token());
        assertEquals(0, listed.exit(), listed.err());
        assertTrue(listed.out().contains(name), listed.out());
        CliRun start = cli("start", name, "-n", ns, "--token", viewer.token());
        assertTrue(start.exit() != 0);
        assertTrue(start.err().contains("may not change anything in namespace " + ns), start.err());
        CliRun wrong = cli("get", "vms", "--token", "wrong-token");
        assertTrue(wrong.exit() != 0);
        assertTrue(wrong.err().contains("not valid"), wrong.err());
    }

    private static CliRun cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--server");
        all.add("http://127.0.0.1:" + vireo.port());
        return CliRun.of(all.toArray(String[]::new));
    }
}
