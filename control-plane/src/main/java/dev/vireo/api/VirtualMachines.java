package dev.vireo.api;

import dev.vireo.persistence.EventLog;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmState;
import dev.vireo.vm.VirtualMachineEntity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** The HTTP layer's way to the VM entities: commands, reads, and the list of VMs. */
final class VirtualMachines {

    private final ClusterSharding sharding;
    private final EventLog eventLog;
    private final Duration timeout;

    VirtualMachines(ActorSystem<?> system, ClusterSharding sharding, Duration timeout) {
        this.sharding = sharding;
        this.eventLog = EventLog.get(system);
        this.timeout = timeout;
    }

    CompletionStage<VirtualMachineEntity.Reply> execute(VmId id, VmCommand command) {
        return sharding.entityRefFor(VirtualMachineEntity.TYPE_KEY, id.entityId())
                .ask(replyTo -> new VirtualMachineEntity.Execute(command, replyTo), timeout);
    }

    CompletionStage<VmState> get(VmId id) {
        return sharding.entityRefFor(VirtualMachineEntity.TYPE_KEY, id.entityId())
                .<VirtualMachineEntity.Reply>ask(VirtualMachineEntity.GetState::new, timeout)
                .thenApply(reply -> ((VirtualMachineEntity.Accepted) reply).state());
    }

    /** The VMs that exist in {@code namespace} (all namespaces when null), sorted by namespace and name. */
    CompletionStage<List<VmState>> list(String namespace) {
        return eventLog.vms(namespace).thenCompose(ids -> {
            List<CompletableFuture<VmState>> states = new ArrayList<>();
            for (VmId id : ids) {
                states.add(get(id).toCompletableFuture());
            }
            return CompletableFuture.allOf(states.toArray(CompletableFuture[]::new))
                    .thenApply(done -> states.stream().map(CompletableFuture::join).filter(VmState::exists)
                            .sorted((a, b) -> a.id().compareTo(b.id())).toList());
        });
    }
}
