package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.Vireo;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.vm.VirtualMachineEntity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * VMs created straight through their entities and the journal, without the HTTP layer: for journals the API
 * would refuse to write today (VMs larger than its limits) or faster than it writes them (thousands of VMs).
 */
final class EntityCreates {

    private EntityCreates() {
    }

    /**
     * Creates {@code vm-0 .. vm-(count-1)} in {@code namespace} with {@code spec} and {@code labels}, at most
     * {@code inFlight} at a time, and fails unless every entity accepted its creation.
     */
    static void create(Vireo vireo, String namespace, int count, VirtualMachineSpec spec, Map<String, String> labels,
                       int inFlight) throws Exception {
        ClusterSharding sharding = ClusterSharding.get(vireo.system());
        List<CompletableFuture<VirtualMachineEntity.Reply>> created = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            var command = new VmCommand.Create(namespace + "-" + i, "anonymous", "uid-" + i, labels, spec);
            created.add(sharding.entityRefFor(VirtualMachineEntity.TYPE_KEY, new VmId(namespace, "vm-" + i).entityId())
                    .<VirtualMachineEntity.Reply>ask(replyTo -> new VirtualMachineEntity.Execute(command, replyTo),
                            Duration.ofSeconds(60)).toCompletableFuture());
            if (created.size() % inFlight == 0) {
                CompletableFuture.allOf(created.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
            }
        }
        CompletableFuture.allOf(created.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        for (var reply : created) {
            assertTrue(reply.get() instanceof VirtualMachineEntity.Accepted, () -> String.valueOf(reply.join()));
        }
    }
}
