package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vireo.e2e.Api.Response;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

/**
 * A guest that dies behind Vireo's back (destroyed straight through libvirt) is a crash, and the runStrategy
 * decides what follows: Always restarts it after a CrashLoopBackOff, Manual leaves it Failed.
 */
class GuestFailureTest {

    @RegisterExtension
    static final RunningVireo vireo = new RunningVireo();

    private final Api api = vireo.api();

    @Test
    void crashedGuestUnderAlwaysIsRestartedAfterBackOff() throws LibvirtException {
        String name = runningVm("crash-always", "Always");
        long before = api.get(Api.vm(name)).incarnation();

        destroyDomainOf(name);

        Response back = Eventually.get(name + " to run again", Duration.ofSeconds(30), () -> api.get(Api.vm(name)),
                r -> "Running".equals(r.phase()) && r.incarnation() > before);
        assertEquals(before + 1, back.incarnation());
        List<JsonNode> history = api.history(name);
        JsonNode crash = only(history, "DomainCrashed");
        assertTrue(crash.at("/data/restart").asBoolean(), crash::toString);
        assertEquals(1, crash.at("/data/crashCount").asInt(), crash::toString);
        List<String> types = VirtualMachineLifecycleTest.types(history);
        assertEquals(List.of("DomainCrashed", "StartRequested", "Scheduled", "DomainStarted"),
                types.subList(types.indexOf("DomainCrashed"), types.size()));
        assertEquals("CrashLoopBackOff", nth(history, "StartRequested", 1).at("/data/reason").asText());
    }

    @Test
    void crashedGuestUnderManualEndsFailed() throws LibvirtException {
        String name = Manifests.uniqueName("crash-manual");
        assertEquals(201, api.create(Manifests.json(name, "Manual")).status());
        assertEquals(202, api.action(name, "start").status());
        api.awaitPhase(name, "Running");

        destroyDomainOf(name);

        Response failed = api.awaitPhase(name, "Failed");
        assertTrue(failed.at("/status/node").isMissingNode(), failed::toString);
        assertTrue(failed.text().contains("Destroyed"), "the reason is shown: " + failed);
        Eventually.until(name + " to leave the node", Duration.ofSeconds(10), () -> !VirtualMachineLifecycleTest
                .names(api.get("/api/v1/nodes").at("/items/0/virtualMachines")).contains("default/" + name));

        assertEquals(202, api.action(name, "start").status(), "a Failed VM can be started again");
        api.awaitPhase(name, "Running");
    }

    private String runningVm(String prefix, String runStrategy) {
        String name = Manifests.uniqueName(prefix);
        assertEquals(201, api.create(Manifests.json(name, runStrategy)).status());
        api.awaitPhase(name, runStrategy.equals("Halted") ? "Stopped" : "Running");
        return name;
    }

    /** As if the guest died: libvirt destroys the domain Vireo made for the VM ({@code <namespace>_<name>}). */
    private static void destroyDomainOf(String name) throws LibvirtException {
        Connect libvirt = new Connect(RunningVireo.HYPERVISOR);
        try {
            Domain domain = libvirt.domainLookupByName("default_" + name);
            domain.destroy();
        } finally {
            libvirt.close();
        }
    }

    private static JsonNode only(List<JsonNode> history, String type) {
        List<JsonNode> found = history.stream().filter(e -> e.path("type").asText().equals(type)).toList();
        assertEquals(1, found.size(), type + " in " + history);
        return found.get(0);
    }

    private static JsonNode nth(List<JsonNode> history, String type, int index) {
        return history.stream().filter(e -> e.path("type").asText().equals(type)).toList().get(index);
    }
}
