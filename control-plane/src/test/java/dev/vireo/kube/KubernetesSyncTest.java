package dev.vireo.kube;

import static dev.vireo.kube.VireoWithKubernetes.eventually;
import static dev.vireo.kube.VireoWithKubernetes.vm;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The two-way sync against fabric8's CRUD mock API server, with a whole Vireo in this JVM. */
class KubernetesSyncTest {

    static final Duration PATIENCE = Duration.ofSeconds(30);

    static KubernetesApiMock kube;
    static VireoWithKubernetes vireo;
    static Path dataDir;

    @BeforeAll
    static void start() throws Exception {
        kube = new KubernetesApiMock().withVireoCrds();
        dataDir = Files.createTempDirectory("vireo-kube-");
        vireo = VireoWithKubernetes.start(dataDir, kube.writeKubeconfig(dataDir));
    }

    @AfterAll
    static void stop() {
        if (vireo != null) {
            vireo.close();
        }
        if (kube != null) {
            kube.close();
        }
    }

    static Resource<GenericKubernetesResource> cr(String name) {
        return kube.client().genericKubernetesResources(VirtualMachineResource.CONTEXT).inNamespace("default").withName(name);
    }

    static GenericKubernetesResource createCr(String name, String specYaml) {
        GenericKubernetesResource cr = kube.client().getKubernetesSerialization().unmarshal("""
                apiVersion: vireo.dev/v1
                kind: VirtualMachine
                metadata:
                  name: %s
                  namespace: default
                spec:
                %s
                """.formatted(name, specYaml.indent(2)), GenericKubernetesResource.class);
        return kube.client().genericKubernetesResources(VirtualMachineResource.CONTEXT).inNamespace("default")
                .resource(cr).create();
    }

    static void mergePatch(String name, String json) {
        cr(name).patch(PatchContext.of(PatchType.JSON_MERGE), json);
    }

    static JsonNode status(String name) {
        GenericKubernetesResource cr = cr(name).get();
        return cr == null ? null : VireoWithKubernetes.JSON.valueToTree(VirtualMachineResource.status(cr));
    }

    static JsonNode awaitPrintable(String name, String phase) {
        return eventually(name + " to be " + phase + " in its CR", PATIENCE, () -> status(name),
                s -> s != null && phase.equals(s.path("printableStatus").asText()));
    }

    static JsonNode condition(JsonNode status, String type) {
        for (JsonNode c : status.path("conditions")) {
            if (type.equals(c.path("type").asText())) {
                return c;
            }
        }
        return null;
    }

    @Test
    void aCreatedCrBecomesAVmWhoseStateFlowsBackIntoItsStatus() {
        GenericKubernetesResource created = createCr("web-1", "runStrategy: Always\nmemory: 64Mi\ncpu: {cores: 1}\n");
        JsonNode status = awaitPrintable("web-1", "Running");
        assertEquals("local", status.path("node").asText());
        assertEquals(1, status.path("observedGeneration").asLong());
        assertEquals("True", condition(status, "Ready").path("status").asText());
        assertTrue(status.path("incarnation").asLong() >= 1);
        GenericKubernetesResource cr = cr("web-1").get();
        assertTrue(cr.getMetadata().getFinalizers().contains("vireo.dev/vm"));
        assertEquals(created.getMetadata().getUid(), cr.getMetadata().getAnnotations().get(VirtualMachineResource.VM_UID));

        JsonNode first = vireo.history("web-1").get(0);
        assertEquals("VmCreated", first.path("type").asText());
        assertEquals("kubernetes:kubectl", first.path("principal").asText());
        assertEquals("kube-" + created.getMetadata().getUid() + "-1", first.path("requestId").asText());
        assertEquals("Running", vireo.send("GET", vm("web-1"), null).json().at("/status/printableStatus").asText());
    }

    @Test
    void aSpecChangeIsOneCommandAndResyncsReplayNothing() throws Exception {
        GenericKubernetesResource created = createCr("web-2", "runStrategy: Always\nmemory: 64Mi\n");
        awaitPrintable("web-2", "Running");
        mergePatch("web-2", "{\"spec\":{\"runStrategy\":\"Halted\"}}");
        JsonNode status = awaitPrintable("web-2", "Stopped");
        assertEquals(2, eventually("observedGeneration 2", PATIENCE, () -> status("web-2"),
                s -> s.path("observedGeneration").asLong() == 2).path("observedGeneration").asLong());
        List<String> applied = vireo.fromKubernetes("web-2");
        Thread.sleep(3000); // three informer resyncs
        String uid = created.getMetadata().getUid();
        assertEquals(applied, vireo.fromKubernetes("web-2"));
        assertEquals(1, applied.stream().filter(e -> e.equals("RunStrategyChanged@kube-" + uid + "-2")).count(), applied.toString());
        assertEquals(1, applied.stream().filter(e -> e.equals("VmCreated@kube-" + uid + "-1")).count(), applied.toString());
        assertEquals("Stopped", status.path("printableStatus").asText());
    }

    @Test
    void aVmCreatedOverHttpIsWrittenAsACrAndHttpChangesFollowWithoutPingPong() throws Exception {
        var r = vireo.send("POST", "/api/v1/namespaces/default/virtualmachines", """
                {"apiVersion":"vireo.dev/v1","kind":"VirtualMachine","metadata":{"name":"api-1","labels":{"app":"web"}},
                 "spec":{"runStrategy":"Always","memory":"64Mi"}}""");
        assertEquals(201, r.status(), r.toString());
        awaitPrintable("api-1", "Running");
        GenericKubernetesResource cr = cr("api-1").get();
        assertEquals("Always", ((Map<?, ?>) cr.getAdditionalProperties().get("spec")).get("runStrategy"));
        assertEquals(Map.of("app", "web"), cr.getMetadata().getLabels());
        assertEquals(r.json().at("/metadata/uid").asText(), cr.getMetadata().getAnnotations().get(VirtualMachineResource.VM_UID));

        // stop on Always switches the VM to Halted: the CR must follow, and that must not come back as a command
        assertEquals(202, vireo.send("POST", vm("api-1") + "/stop", null).status());
        awaitPrintable("api-1", "Stopped");
        eventually("the CR's spec to say Halted", PATIENCE, () -> cr("api-1").get(),
                c -> "Halted".equals(((Map<?, ?>) c.getAdditionalProperties().get("spec")).get("runStrategy"))
                        && VirtualMachineResource.observedGeneration(c) == VirtualMachineResource.generation(c));
        long generation = VirtualMachineResource.generation(cr("api-1").get());
        Thread.sleep(2500);
        assertEquals(generation, VirtualMachineResource.generation(cr("api-1").get()), "the CR's spec settled");
        assertEquals(List.of(), vireo.fromKubernetes("api-1"));
        assertTrue(vireo.history("api-1").stream().noneMatch(e -> e.path("principal").asText().startsWith("kubernetes:")));
        assertEquals("Stopped", vireo.send("GET", vm("api-1"), null).json().at("/status/printableStatus").asText());

        // deleted over HTTP: the CR goes too
        vireo.send("DELETE", vm("api-1"), null);
        eventually("the CR of api-1 to be deleted", PATIENCE, () -> cr("api-1").get() == null, gone -> gone);
    }

    @Test
    void anInvalidSpecGetsAFailureConditionChangesNothingAndIsNotRetriedInALoop() throws Exception {
        createCr("bad-1", "runStrategy: Always\nmemory: lots\n");
        JsonNode status = eventually("a Failure condition", PATIENCE, () -> status("bad-1"),
                s -> s != null && condition(s, "Failure") != null);
        JsonNode failure = condition(status, "Failure");
        assertEquals("InvalidSpec", failure.path("reason").asText());
        assertTrue(failure.path("message").asText().contains("spec.memory"), failure.toString());
        assertEquals(1, status.path("observedGeneration").asLong());
        assertEquals(404, vireo.send("GET", vm("bad-1"), null).status());
        String version = cr("bad-1").get().getMetadata().getResourceVersion();
        Thread.sleep(2500); // resyncs: the same generation is not tried again
        assertEquals(version, cr("bad-1").get().getMetadata().getResourceVersion());
        assertEquals(List.of(), vireo.history("bad-1"));

        mergePatch("bad-1", "{\"spec\":{\"memory\":\"64Mi\"}}");
        JsonNode fixed = awaitPrintable("bad-1", "Running");
        assertNull(condition(fixed, "Failure"), fixed.toString());
        assertEquals(2, fixed.path("observedGeneration").asLong());
    }

    @Test
    void anInvalidChangeToARunningVmLeavesItRunning() {
        createCr("bad-2", "runStrategy: Always\nmemory: 64Mi\n");
        awaitPrintable("bad-2", "Running");
        mergePatch("bad-2", "{\"spec\":{\"cpu\":{\"cores\":0}}}");
        JsonNode status = eventually("a Failure condition", PATIENCE, () -> status("bad-2"),
                s -> condition(s, "Failure") != null);
        assertTrue(condition(status, "Failure").path("message").asText().contains("spec.cpu.cores"));
        assertEquals("Running", status.path("printableStatus").asText());
        assertEquals(1, vireo.send("GET", vm("bad-2"), null).json().at("/spec/cpu/cores").asInt());
    }

    @Test
    void deletingTheCrDeletesTheVmAndReleasesTheFinalizerOnlyAfterVmDeleted() {
        GenericKubernetesResource created = createCr("gone-1", "runStrategy: Always\nmemory: 64Mi\n");
        awaitPrintable("gone-1", "Running");
        cr("gone-1").delete();
        assertNotNull(cr("gone-1").get() == null ? null : "held", "the finalizer holds the CR at first");
        eventually("the CR to be gone", PATIENCE, () -> cr("gone-1").get() == null, gone -> gone);
        assertEquals(404, vireo.send("GET", vm("gone-1"), null).status());
        List<JsonNode> history = vireo.history("gone-1");
        JsonNode last = history.get(history.size() - 1);
        assertEquals("VmDeleted", last.path("type").asText());
        assertTrue(history.stream().anyMatch(e -> e.path("requestId").asText()
                .equals("kube-" + created.getMetadata().getUid() + "-delete")), history.toString());
    }

    @Test
    void aChangeAppliedJustBeforeACrashIsNotAppliedAgain() throws Exception {
        GenericKubernetesResource created = createCr("crash-1", "runStrategy: Always\nmemory: 64Mi\n");
        awaitPrintable("crash-1", "Running");
        mergePatch("crash-1", "{\"spec\":{\"runStrategy\":\"Halted\"}}");
        awaitPrintable("crash-1", "Stopped");
        List<String> applied = eventually("generation 2 applied", PATIENCE, () -> vireo.fromKubernetes("crash-1"),
                a -> a.size() >= 3);
        // as if Vireo had died after the entity took generation 2 but before observedGeneration said so
        GenericKubernetesResource cr = cr("crash-1").get();
        @SuppressWarnings("unchecked")
        Map<String, Object> status = new java.util.HashMap<>((Map<String, Object>) cr.getAdditionalProperties().get("status"));
        status.put("observedGeneration", 1);
        cr.setAdditionalProperty("status", status);
        cr("crash-1").updateStatus(cr);
        mergePatch("crash-1", "{\"metadata\":{\"annotations\":{\"touched\":\"yes\"}}}"); // an informer event
        eventually("observedGeneration 2 again", PATIENCE, () -> status("crash-1"),
                s -> s.path("observedGeneration").asLong() == 2);
        Thread.sleep(1500);
        assertEquals(applied, vireo.fromKubernetes("crash-1"));
        assertEquals(1, applied.stream().filter(e -> e.startsWith("RunStrategyChanged@kube-"
                + created.getMetadata().getUid() + "-2")).count(), applied.toString());
    }
}
