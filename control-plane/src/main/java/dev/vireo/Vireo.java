package dev.vireo;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.vireo.api.ApiServer;
import dev.vireo.metrics.VireoMetrics;
import dev.vireo.cluster.NodeLink;
import dev.vireo.cluster.ShardPreallocation;
import dev.vireo.node.HypervisorChoice;
import dev.vireo.node.NodeAgent;
import dev.vireo.node.NodeAgentSettings;
import dev.vireo.persistence.JournalConfig;
import dev.vireo.persistence.JournalLayout;
import dev.vireo.persistence.JournalSchema;
import dev.vireo.protocol.node.NodeRegistration;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.vm.VmDecider;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmPolicy;
import dev.vireo.protocol.vm.Quantity;
import dev.vireo.scheduler.Scheduler;
import dev.vireo.vm.EntityOutbox;
import dev.vireo.vm.VirtualMachineEntity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.HashCodeMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A whole single-machine Vireo in one JVM: a one-member Pekko cluster that is both control plane (VM
 * entities, scheduler, HTTP API) and node (one node agent over libvirt), on the embedded journal.
 */
public final class Vireo implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Vireo.class);

    private final ActorSystem<Void> system;
    private final ApiServer api;
    private final String hypervisor;

    private Vireo(ActorSystem<Void> system, ApiServer api, String hypervisor) {
        this.system = system;
        this.api = api;
        this.hypervisor = hypervisor;
    }

    public static Vireo start(VireoSettings settings) throws Exception {
        Path dataDir = settings.dataDir().toAbsolutePath().normalize();
        Files.createDirectories(dataDir);
        HypervisorChoice.Choice choice = HypervisorChoice.pick(settings.hypervisor());
        log.info("hypervisor {} ({})", choice.uri(), choice.why());
        if (ForkJoinPool.getCommonPoolParallelism() < 2) {
            log.warn("the common fork-join pool has {} thread: every future callback starts a thread of its own;"
                    + " start the JVM with -D{}=2 (bin/vireo does)", ForkJoinPool.getCommonPoolParallelism(),
                    Main.COMMON_POOL_PARALLELISM);
        }

        Map<String, Object> overrides = new HashMap<>(settings.config());
        overrides.put("vireo.http.address", settings.address());
        overrides.put("vireo.http.port", settings.port());
        overrides.put("vireo.node.name", settings.nodeName());
        overrides.put("vireo.node.hypervisor", choice.uri());
        overrides.put("vireo.images-dir", settings.images().toAbsolutePath().toString());
        overrides.put("pekko.remote.artery.canonical.port", settings.clusterPort());
        overrides.put(JournalConfig.DATA_DIR, dataDir.toString());
        // resolved only now, with the data dir in place: ConfigFactory.load() alone would have fixed the
        // journal's URL to the default ./vireo-data
        Config config = JournalConfig.forDataDir(dataDir,
                ConfigFactory.load(ConfigFactory.parseMap(overrides).withFallback(ConfigFactory.defaultApplication())));

        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "vireo", config);
        try {
            JournalSchema.ensure(system);
            Cluster cluster = Cluster.get(system);
            cluster.manager().tell(Join.create(cluster.selfMember().address()));

            Config vireo = system.settings().config().getConfig("vireo");
            VmPolicy policy = new VmPolicy(vireo.getDuration("vm.backoff-base"), vireo.getDuration("vm.backoff-max"),
                    vireo.getDuration("vm.stable-run"));
            ClusterSharding sharding = ClusterSharding.get(system);
            ActorRef<Scheduler.Command> scheduler = ClusterSingleton.get(system).init(SingletonActor.of(
                    Scheduler.create((vm, command) -> sharding.entityRefFor(VirtualMachineEntity.TYPE_KEY,
                            vm.entityId()).tell(new VirtualMachineEntity.Execute(command, null)),
                            vireo.getInt("scheduler.cpu-allocation-ratio")), "scheduler"));
            Clock clock = Clock.systemUTC();
            VmDecider decider = new VmDecider(policy);
            EntityOutbox outbox = new EntityOutbox(scheduler, clock);
            VireoMetrics metrics = new VireoMetrics();
            int snapshotEvery = vireo.getInt("vm.snapshot-every");
            int snapshotsKept = vireo.getInt("vm.snapshots-kept");
            int shards = JournalLayout.numberOfShards(system,
                    system.settings().config().getInt("pekko.cluster.sharding.number-of-shards"));
            sharding.init(Entity.of(VirtualMachineEntity.TYPE_KEY, ctx -> VirtualMachineEntity.create(
                    VmId.parse(ctx.getEntityId()), decider, outbox, clock, snapshotEvery, snapshotsKept, metrics,
                    ctx.getShard()))
                    .withMessageExtractor(new HashCodeMessageExtractor<>(shards))
                    .withRole("control-plane"));
            ((ExtendedActorSystem) system.classicSystem()).systemActorOf(ShardPreallocation.props(VirtualMachineEntity.TYPE_KEY.name(), shards),
                    "shard-preallocation");

            startNode(system, vireo, scheduler, sharding);
            ApiServer api = ApiServer.start(system, sharding, scheduler, metrics, vireo);
            dev.vireo.kube.KubernetesSync.startIfConfigured(system, sharding, vireo);
            log.info("Vireo is up: http://{}:{}/api/v1 (data {}, node {}, hypervisor {})", settings.address(),
                    api.port(), dataDir, settings.nodeName(), choice.uri());
            return new Vireo(system, api, choice.uri());
        } catch (Exception | Error e) {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            throw e;
        }
    }

    private static void startNode(ActorSystem<Void> system, Config vireo, ActorRef<Scheduler.Command> scheduler,
                                  ClusterSharding sharding) {
        String name = vireo.getString("node.name");
        Map<String, String> labels = new HashMap<>();
        vireo.getConfig("node.labels").entrySet().forEach(e -> labels.put(e.getKey(), e.getValue().unwrapped().toString()));
        ActorRef<Object> link = system.systemActorOf(NodeLink.create(scheduler, sharding, name), "node-link-" + name,
                Props.empty());
        ActorRef<NodeReport> reports = link.narrow();
        ActorRef<NodeRegistration> registrations = link.narrow();
        String cpus = vireo.getString("node.cpus");
        String memory = vireo.getString("node.memory");
        NodeAgentSettings agent = NodeAgentSettings.of(name, vireo.getString("node.hypervisor"), labels)
                .withCapacity(cpus.isBlank() ? null : Integer.valueOf(cpus),
                        memory.isBlank() ? null : Quantity.parseBytes(memory))
                // the VMs' overlays and console logs under --data, where the console route reads them
                .withDataDirectory(Path.of(vireo.getString("data-dir")));
        // a failing agent is started again (it reconciles at start): the node must not stay lost
        system.systemActorOf(Behaviors.supervise(NodeAgent.create(agent, reports, registrations))
                        .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(500), Duration.ofSeconds(30), 0.2)),
                "node-agent-" + name, Props.empty());
    }

    public int port() {
        return api.port();
    }

    public String hypervisor() {
        return hypervisor;
    }

    public ActorSystem<Void> system() {
        return system;
    }

    /** Stops the API, then the actor system (coordinated shutdown: the cluster is left cleanly). */
    @Override
    public void close() {
        api.stop(Duration.ofSeconds(5));
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("shutdown did not finish cleanly: {}", e.toString());
        }
    }
}
