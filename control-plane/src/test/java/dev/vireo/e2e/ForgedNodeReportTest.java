package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.vm.VirtualMachineEntity;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node's reports count only for the VMs placed on it: a report that names another node (or another
 * placement) than the VM's is refused, recorded as StaleReportIgnored under the reporting node's principal,
 * and changes nothing.
 */
class ForgedNodeReportTest {

    @RegisterExtension
    static final RunningVireo vireo = new RunningVireo();

    @Test
    void aReportAboutAnotherNodesVmIsRefusedAndRecorded() {
        Api api = vireo.api();
        String name = Manifests.uniqueName("victim");
        assertEquals(201, api.create(Manifests.json(name, "Always")).status());
        Api.Response running = api.awaitPhase(name, "Running");
        long incarnation = running.incarnation();
        assertEquals("local", running.at("/status/node").asText());

        // a member of the cluster that says it is node "mallory" reports the VM crashed, with its incarnation
        VmId id = new VmId("default", name);
        ClusterSharding.get(vireo.vireo().system()).entityRefFor(VirtualMachineEntity.TYPE_KEY, id.entityId())
                .tell(new VirtualMachineEntity.Execute(new VmCommand.ReportFromNode("forged-1",
                        new NodeReport.DomainCrashed(id, "mallory", incarnation, "forged")), null));

        JsonNode refused = Eventually.get("the forged report to be recorded", Duration.ofSeconds(20),
                () -> api.history(name), h -> h.stream().anyMatch(e -> e.path("requestId").asText().equals("forged-1")))
                .stream().filter(e -> e.path("requestId").asText().equals("forged-1")).findFirst().orElseThrow();
        assertEquals("StaleReportIgnored", refused.path("type").asText(), refused.toString());
        assertEquals("system:node:mallory", refused.path("principal").asText());
        assertTrue(refused.path("data").toString().contains("local"), refused.toString());
        List<String> types = api.history(name).stream().map(e -> e.path("type").asText()).toList();
        assertTrue(!types.contains("DomainCrashed"), types.toString());
        assertEquals("Running", api.get(Api.vm(name)).phase(), "the VM is as it was");
    }
}
