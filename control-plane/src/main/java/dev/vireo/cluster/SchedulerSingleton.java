package dev.vireo.cluster;

import com.typesafe.config.Config;
import dev.vireo.auth.NodeCredentials;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmState;
import dev.vireo.scheduler.Scheduler;
import dev.vireo.vm.VirtualMachineEntity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.ClusterEvent.CurrentClusterState;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * The scheduler as a cluster singleton on the control-plane members. Every member calls {@link #init}: a
 * control-plane member may run it, any other gets a proxy (a node runtime's way to the control plane).
 */
public final class SchedulerSingleton {

    private SchedulerSingleton() {
    }

    /** @param sharding the VM entities; null on a member without them (a node runtime: it only gets a proxy) */
    public static ActorRef<Scheduler.Command> init(ActorSystem<?> system, ClusterSharding sharding) {
        Config vireo = system.settings().config().getConfig("vireo");
        Duration ask = vireo.getDuration("http.ask-timeout");
        BiConsumer<VmId, VmCommand> toVm = (vm, command) -> {
            if (sharding == null) {
                throw new IllegalStateException("no VM entities on this member");
            }
            sharding.entityRefFor(VirtualMachineEntity.TYPE_KEY, vm.entityId())
                    .tell(new VirtualMachineEntity.Execute(command, null));
        };
        Function<VmId, CompletionStage<VmState>> vmState = vm -> sharding == null
                ? CompletableFuture.failedFuture(new IllegalStateException("no VM entities on this member"))
                : sharding.entityRefFor(VirtualMachineEntity.TYPE_KEY, vm.entityId())
                        .<VirtualMachineEntity.Reply>ask(VirtualMachineEntity.GetState::new, ask)
                        .thenApply(reply -> ((VirtualMachineEntity.Accepted) reply).state());
        Config lease = vireo.getConfig("node.lease");
        Scheduler.NodeSettings nodes = Scheduler.NodeSettings.of(lease.getDuration("ttl"),
                lease.getDuration("renew-interval"), lease.getDuration("margin"), lease.getDuration("rejoin-grace"),
                lease.getDuration("check-interval"));
        Scheduler.MigrationLimits limits = new Scheduler.MigrationLimits(vireo.getInt("migration.max-in-flight"),
                vireo.getInt("migration.max-in-flight-per-node"));
        String credentials = vireo.getString("cluster.node-tokens");
        Scheduler.Identity identity = sharding == null || credentials.isBlank() ? null : identity(system,
                new NodeCredentials(Path.of(credentials)));
        return ClusterSingleton.get(system).init(SingletonActor.of(Scheduler.create(toVm, vmState,
                vireo.getInt("scheduler.cpu-allocation-ratio"), nodes, limits, identity), "scheduler"));
    }

    /** Nodes prove their names with {@code credentials}; a name stays with its member while it is Up and reachable. */
    private static Scheduler.Identity identity(ActorSystem<?> system, NodeCredentials credentials) {
        Cluster cluster = Cluster.get(Adapter.toClassic(system));
        return new Scheduler.Identity(credentials, address -> alive(cluster, address), ref -> {
            Address address = ref.path().address();
            return (address.hasGlobalScope() ? address : cluster.selfAddress()).toString();
        });
    }

    private static boolean alive(Cluster cluster, String address) {
        CurrentClusterState state = cluster.state();
        for (Member member : state.getMembers()) {
            if (member.address().toString().equals(address)) {
                MemberStatus status = member.status();
                return (status == MemberStatus.up() || status == MemberStatus.weaklyUp()
                        || status == MemberStatus.joining()) && !state.getUnreachable().contains(member);
            }
        }
        return false;
    }
}
