package dev.vireo.kube;

import dev.vireo.api.MigrationRoutes;
import dev.vireo.persistence.EventLog;
import dev.vireo.persistence.StoredEvent;
import dev.vireo.protocol.vm.Rejection;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmEvent;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmState;
import dev.vireo.vm.VirtualMachineEntity;
import dev.vireo.scheduler.Scheduler;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** The sync's way to the VM entities; blocking, since the sync runs on its own thread. */
interface VirtualMachineGateway {

    VmState get(VmId id);

    VirtualMachineEntity.Reply execute(VmId id, VmCommand command);

    /** The VM's history, oldest first: kept after the VM is deleted. */
    List<VmEvent> history(VmId id);

    /**
     * Why a migration request is refused before the entity is asked, as {@code POST …/migrate} refuses it (post-copy
     * where the cluster does not allow it; a target the scheduler refuses); null when it is not.
     */
    Rejection whyNotMigrate(VmId id, VmState state, MigrationRoutes.Request request);

    static VirtualMachineGateway of(ActorSystem<?> system, ClusterSharding sharding, ActorRef<Scheduler.Command> scheduler,
                                    Duration timeout) {
        EventLog eventLog = EventLog.get(system);
        return new VirtualMachineGateway() {
            @Override
            public List<VmEvent> history(VmId id) {
                return await(eventLog.history(id)).stream().map(StoredEvent::event).toList();
            }

            @Override
            public Rejection whyNotMigrate(VmId id, VmState state, MigrationRoutes.Request request) {
                Rejection policy = MigrationRoutes.whyNotPolicy(system.settings().config(), request);
                return policy != null ? policy
                        : await(MigrationRoutes.whyNotTarget(scheduler, system, timeout, id, state, request));
            }

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
