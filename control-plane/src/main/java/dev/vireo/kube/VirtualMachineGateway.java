package dev.vireo.kube;

import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmState;
import dev.vireo.vm.VirtualMachineEntity;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** The sync's way to the VM entities; blocking, since the sync runs on its own thread. */
interface VirtualMachineGateway {

    VmState get(VmId id);

    VirtualMachineEntity.Reply execute(VmId id, VmCommand command);

    static VirtualMachineGateway of(ClusterSharding sharding, Duration timeout) {
        return new VirtualMachineGateway() {
            @Override
            public VmState get(VmId id) {
                return ((VirtualMachineEntity.Accepted) await(sharding.entityRefFor(VirtualMachineEntity.TYPE_KEY,
                        id.entityId()).ask(VirtualMachineEntity.GetState::new, timeout))).state();
            }

            @Override
            public VirtualMachineEntity.Reply execute(VmId id, VmCommand command) {
                return await(sharding.entityRefFor(VirtualMachineEntity.TYPE_KEY, id.entityId())
                        .ask(replyTo -> new VirtualMachineEntity.Execute(command, replyTo), timeout));
            }

            private <T> T await(java.util.concurrent.CompletionStage<T> stage) {
                try {
                    return stage.toCompletableFuture().get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for a VM entity", e);
                } catch (ExecutionException | TimeoutException e) {
                    throw new IllegalStateException("VM entity did not answer: " + e, e);
                }
            }
        };
    }
}
