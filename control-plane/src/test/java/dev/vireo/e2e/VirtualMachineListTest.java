package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vireo.Vireo;
import dev.vireo.VireoSettings;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lists come from the VM list a projection of the event log keeps: Kubernetes-style paging with limit and
 * continue, label selectors, every write the client saw acknowledged shown at once, and no VM entity asked.
 */
class VirtualMachineListTest {

    @RegisterExtension
    static final RunningVireo vireo = new RunningVireo();

    @TempDir
    Path dataDir;

    private static String manifest(String name, String runStrategy, String labels) {
        return """
                {"apiVersion": "vireo.dev/v1", "kind": "VirtualMachine",
                 "metadata": {"name": "%s", "labels": %s},
                 "spec": {"runStrategy": "%s", "cpu": {"cores": 1}, "memory": "64Mi"}}
                """.formatted(name, labels, runStrategy);
    }

    private static List<String> names(Api.Response list) {
        List<String> names = new ArrayList<>();
        list.json().get("items").forEach(vm -> names.add(vm.at("/metadata/name").asText()));
        return names;
    }

    private static String query(String key, String value) {
        return key + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    @Test
    void aListPagesThroughContinueTokensInNameOrder() {
        Api api = vireo.api();
        String ns = Manifests.uniqueName("paged");
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 23; i++) {
            String name = "vm-%02d".formatted(i);
            expected.add(name);
            assertEquals(201, api.create(ns, manifest(name, "Halted", "{\"app\": \"web\"}")).status());
        }
        List<String> seen = new ArrayList<>();
        String token = null;
        int pages = 0;
        do {
            Api.Response page = api.get(Api.vms(ns) + "?limit=10" + (token == null ? "" : "&" + query("continue", token)));
            assertEquals(200, page.status(), page.text());
            assertEquals("VirtualMachineList", page.json().get("kind").asText());
            assertTrue(page.json().at("/metadata/resourceVersion").asLong() > 0);
            seen.addAll(names(page));
            token = page.json().at("/metadata/continue").isMissingNode() ? null
                    : page.json().at("/metadata/continue").asText();
            pages++;
        } while (token != null);
        assertEquals(expected, seen, "every VM once, in name order");
        assertEquals(3, pages);
        assertEquals(expected, names(api.get(Api.vms(ns))), "without a limit, all at once");
        assertEquals(List.of(), names(api.get(Api.vms(Manifests.uniqueName("empty")))));
    }

    @Test
    void labelSelectorsFilterAsKubernetesDoes() {
        Api api = vireo.api();
        String ns = Manifests.uniqueName("labelled");
        api.create(ns, manifest("web-prod", "Halted", "{\"app\": \"web\", \"env\": \"prod\"}"));
        api.create(ns, manifest("web-dev", "Halted", "{\"app\": \"web\", \"env\": \"dev\"}"));
        api.create(ns, manifest("db-prod", "Halted", "{\"app\": \"db\", \"env\": \"prod\"}"));
        api.create(ns, manifest("plain", "Halted", "{}"));
        Map<String, List<String>> cases = new HashMap<>();
        cases.put("app=web", List.of("web-dev", "web-prod"));
        cases.put("app==web,env=prod", List.of("web-prod"));
        cases.put("app!=web", List.of("db-prod", "plain"));
        cases.put("env", List.of("db-prod", "web-dev", "web-prod"));
        cases.put("!env", List.of("plain"));
        cases.put("env in (dev,staging)", List.of("web-dev"));
        cases.put("env notin (dev)", List.of("db-prod", "plain", "web-prod"));
        cases.forEach((selector, expected) -> assertEquals(expected,
                names(api.get(Api.vms(ns) + "?" + query("labelSelector", selector))), selector));
        // a page of a filtered list holds only what the selector selects, and continues where it stopped
        Api.Response first = api.get(Api.vms(ns) + "?limit=1&" + query("labelSelector", "env=prod"));
        assertEquals(List.of("db-prod"), names(first));
        Api.Response second = api.get(Api.vms(ns) + "?limit=1&" + query("labelSelector", "env=prod") + "&"
                + query("continue", first.json().at("/metadata/continue").asText()));
        assertEquals(List.of("web-prod"), names(second));
        assertTrue(second.json().at("/metadata/continue").isMissingNode(), "the last page says nothing follows");
    }

    @Test
    void badListParametersAreBadInputNamingTheParameter() {
        Api api = vireo.api();
        for (String[] bad : new String[][] {{"limit=-1", "limit"}, {"limit=ten", "limit"},
                {query("labelSelector", "app in web"), "labelSelector"}, {"continue=not-a-token", "continue"},
                {query("continue", java.util.Base64.getUrlEncoder().encodeToString("v1:other/vm".getBytes())), "continue"}}) {
            Api.Response r = api.get(Api.vms("default") + "?" + bad[0]);
            assertEquals(400, r.status(), bad[0] + ": " + r.text());
            assertEquals(bad[1], r.json().get("field").asText(), bad[0]);
        }
    }

    @Test
    void aListShowsEveryWriteAcknowledgedBeforeIt() {
        Api api = vireo.api();
        String ns = Manifests.uniqueName("fresh");
        for (int i = 0; i < 20; i++) {
            String name = "vm-" + i;
            assertEquals(201, api.create(ns, manifest(name, "Manual", "{}")).status());
            assertTrue(names(api.get(Api.vms(ns))).contains(name), name + " is listed as soon as its create is answered");
            assertEquals(202, api.post(Api.vms(ns) + "/" + name + "/start", Api.JSON_TYPE, "", null).status());
            JsonNode listed = find(api.get(Api.vms(ns)), name);
            assertFalse(listed.at("/status/printableStatus").asText().equals("Stopped"),
                    name + " is no longer Stopped once its start is answered: " + listed);
        }
        Api.Response deleting = api.delete(Api.vms(ns) + "/vm-3");
        assertTrue(deleting.status() == 200 || deleting.status() == 202, deleting.text());
        Eventually.get("vm-3 to be deleted", Duration.ofSeconds(60), () -> api.get(Api.vms(ns) + "/vm-3"),
                r -> r.status() == 404);
        assertFalse(names(api.get(Api.vms(ns))).contains("vm-3"), "a deleted VM is not listed");
    }

    @Test
    void theListOfEveryNamespaceHoldsThemAll() {
        Api api = vireo.api();
        String a = Manifests.uniqueName("all-a");
        String b = Manifests.uniqueName("all-b");
        api.create(a, manifest("one", "Halted", "{\"spread\": \"yes\"}"));
        api.create(b, manifest("two", "Halted", "{\"spread\": \"yes\"}"));
        Api.Response all = api.get("/api/v1/virtualmachines?" + query("labelSelector", "spread=yes"));
        assertEquals(200, all.status(), all.text());
        List<String> ids = new ArrayList<>();
        all.json().get("items").forEach(vm -> ids.add(vm.at("/metadata/namespace").asText() + "/"
                + vm.at("/metadata/name").asText()));
        assertEquals(List.of(a + "/one", b + "/two").stream().sorted().toList(), ids);
    }

    /** After a restart without remembered entities, a list shows every VM and wakes none of them. */
    @Test
    void listingAfterARestartRecoversNoVm() throws Exception {
        Map<String, Object> config = new HashMap<>(RunningVireo.TEST_CONFIG);
        config.put("pekko.cluster.sharding.remember-entities", "off");
        List<String> created = List.of("a", "b", "c", "d", "e");
        try (Vireo first = Vireo.start(new VireoSettings("127.0.0.1", 0, dataDir, RunningVireo.HYPERVISOR, null, 0,
                "local", config))) {
            Api api = new Api(first.port());
            RunningVireo.awaitReady(api, Duration.ofSeconds(60));
            created.forEach(name -> assertEquals(201, api.create("kept", manifest(name, "Halted", "{}")).status()));
        }
        try (Vireo again = Vireo.start(new VireoSettings("127.0.0.1", 0, dataDir, RunningVireo.HYPERVISOR, null, 0,
                "local", config))) {
            Api api = new Api(again.port());
            RunningVireo.awaitReady(api, Duration.ofSeconds(60));
            Api.Response list = api.get(Api.vms("kept"));
            assertEquals(created, names(list));
            list.json().get("items").forEach(vm -> assertEquals("Stopped", vm.at("/status/printableStatus").asText()));
            Thread.sleep(500);
            assertEquals(0, api.vmRecoveries(), "listing woke no VM entity");
            assertEquals(200, api.get(Api.vms("kept") + "/c").status());
            assertEquals(1, api.vmRecoveries(), "a single VM is still read from its entity");
        }
    }

    private static JsonNode find(Api.Response list, String name) {
        for (JsonNode vm : list.json().get("items")) {
            if (vm.at("/metadata/name").asText().equals(name)) {
                return vm;
            }
        }
        throw new AssertionError(name + " not in " + list.text());
    }
}
