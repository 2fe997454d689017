package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vireo.vm.VirtualMachineEntity;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Asking about names that are not VMs leaves nothing behind: no entity in memory, none remembered. */
class UnknownNamesTest {

    @RegisterExtension
    static final RunningVireo vireo = new RunningVireo();

    @Test
    void readsAndActionsOnUnknownNamesLeaveNoEntityBehind() {
        Set<String> names = IntStream.range(0, 20).mapToObj(i -> "ghost-" + i).collect(Collectors.toSet());
        for (String name : names) {
            assertEquals(404, vireo.api().get("/api/v1/namespaces/default/virtualmachines/" + name).status());
            assertEquals(404, vireo.api().action(name, "start").status());
        }
        Eventually.until("the ghosts' entities are passivated", Duration.ofSeconds(30),
                () -> liveEntityIds().stream().noneMatch(id -> names.contains(id.substring(id.indexOf('/') + 1))));
    }

    @Test
    void deletedVmLeavesNoEntityBehind() {
        String name = Manifests.uniqueName("gone");
        assertEquals(201, vireo.api().create(Manifests.json(name, "Manual")).status());
        assertEquals(200, vireo.api().delete("/api/v1/namespaces/default/virtualmachines/" + name).status());
        Eventually.until("the deleted VM's entity is passivated", Duration.ofSeconds(30),
                () -> !liveEntityIds().contains("default/" + name));
        assertEquals(200, vireo.api().get("/api/v1/namespaces/default/virtualmachines/" + name + "/history").status());
    }

    private static Set<String> liveEntityIds() {
        var system = vireo.vireo().system();
        try {
            ShardRegion.CurrentShardRegionState state = AskPattern.<ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
                    ClusterSharding.get(system).shardState(),
                    replyTo -> new GetShardRegionState(VirtualMachineEntity.TYPE_KEY, replyTo),
                    Duration.ofSeconds(5), system.scheduler()).toCompletableFuture().get();
            return state.getShards().stream().flatMap(s -> s.getEntityIds().stream()).collect(Collectors.toSet());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
