package dev.vireo;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.vireo.api.ApiServer;
import dev.vireo.auth.Authorizer;
import dev.vireo.auth.BootstrapTokens;
import dev.vireo.auth.RoleBindingsEntity;
import dev.vireo.auth.TokenFile;
import dev.vireo.metrics.VireoMetrics;
import dev.vireo.cluster.ClusterBoot;
import dev.vireo.cluster.NodeRuntimeActors;
import dev.vireo.cluster.SchedulerSingleton;
import dev.vireo.cluster.ShardPreallocation;
import dev.vireo.node.HypervisorChoice;
import dev.vireo.node.NodeAgentSettings;
import dev.vireo.persistence.JournalConfig;
import dev.vireo.persistence.JournalFiles;
import dev.vireo.persistence.JournalLayout;
import dev.vireo.persistence.JournalSchema;
import dev.vireo.protocol.vm.VmDecider;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmPolicy;
import dev.vireo.protocol.vm.Quantity;
import dev.vireo.scheduler.Scheduler;
import dev.vireo.vm.EntityOutbox;
import dev.vireo.vm.RecoveryConcurrency;
import dev.vireo.vm.VirtualMachineEntity;
import dev.vireo.vm.VmListFreshness;
import dev.vireo.vm.VmListProjection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.HashCodeMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Vireo control plane (VM entities, scheduler, HTTP API, Kubernetes sync) on the embedded journal, as a
 * member of a Pekko cluster that node runtimes join ({@code vireo control-plane}); in the one-machine mode
 * ({@code vireo up}) the same JVM is also this machine's node.
 */
public final class Vireo implements EndsOnItsOwn {

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
        JournalFiles.confine(dataDir);
        HypervisorChoice.Choice choice = settings.withNode() ? HypervisorChoice.pick(settings.hypervisor()) : null;
        if (choice != null) {
            log.info("hypervisor {} ({})", choice.uri(), choice.why());
        }
        if (ForkJoinPool.getCommonPoolParallelism() < 2) {
            log.warn("the common fork-join pool has {} thread: every future callback starts a thread of its own;"
                    + " start the JVM with -D{}=2 (bin/vireo does)", ForkJoinPool.getCommonPoolParallelism(),
                    Main.COMMON_POOL_PARALLELISM);
        }

        Map<String, Object> overrides = new HashMap<>(settings.config());
        overrides.put("vireo.http.address", settings.address());
        overrides.put("vireo.http.port", settings.port());
        overrides.putAll(ClusterBoot.member(settings.withNode()
                        ? List.of(ClusterBoot.CONTROL_PLANE, ClusterBoot.NODE) : List.of(ClusterBoot.CONTROL_PLANE),
                settings.clusterAddress(), settings.clusterPort()));
        if (choice != null) {
            overrides.put("vireo.node.name", settings.nodeName());
            overrides.put("vireo.node.hypervisor", choice.uri());
        }
        overrides.put(JournalConfig.DATA_DIR, dataDir.toString());
        // resolved only now, with the data dir in place: ConfigFactory.load() alone would have fixed the
        // journal's URL to the default ./vireo-data
        Config config = RecoveryConcurrency.apply(JournalConfig.forDataDir(dataDir,
                ConfigFactory.load(ConfigFactory.parseMap(overrides).withFallback(ConfigFactory.defaultApplication()))),
                Runtime.getRuntime().maxMemory());

        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), ClusterBoot.SYSTEM_NAME,
                dev.vireo.cluster.JoinToken.withDigest(config));
        try {
            JournalSchema.ensure(system);
            JournalFiles.keepConfined(system, dataDir, Duration.ofSeconds(1));
            dev.vireo.cluster.JoinGuard.start(system, true);
            ClusterBoot.join(system, settings.seeds());

            Config vireo = system.settings().config().getConfig("vireo");
            VmPolicy policy = new VmPolicy(vireo.getDuration("vm.backoff-base"), vireo.getDuration("vm.backoff-max"),
                    vireo.getDuration("vm.stable-run"));
            ClusterSharding sharding = ClusterSharding.get(system);
            ActorRef<Scheduler.Command> scheduler = SchedulerSingleton.init(system, sharding);
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
                    .withRole(ClusterBoot.CONTROL_PLANE));
            ShardPreallocation.start(system, VirtualMachineEntity.TYPE_KEY.name(), shards);

            if (choice != null) {
                startNode(system, vireo, scheduler, settings, dataDir, choice.uri());
            }
            // lists come from the VM list this projection keeps, not from the entities
            VmListFreshness listFreshness = new VmListFreshness(system);
            VmListProjection listProjection = VmListProjection.start(system, listFreshness);
            CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "vm-list-projection",
                    () -> {
                        listProjection.close();
                        return CompletableFuture.completedFuture(Done.getInstance());
                    });
            Authorizer authorizer = new Authorizer(system,
                    RoleBindingsEntity.init(system, ClusterBoot.CONTROL_PLANE), vireo.getDuration("http.ask-timeout"),
                    vireo.getDuration("auth.bindings-refresh"));
            ApiServer api = ApiServer.start(system, sharding, scheduler, listFreshness, metrics,
                    tokenReviews(system, new TokenFile(tokenFile(vireo, dataDir)), vireo), authorizer, vireo);
            dev.vireo.kube.KubernetesSync.startIfConfigured(system, sharding, scheduler, api.images(), vireo);
            if (choice != null) {
                log.info("Vireo is up: http://{}:{}/api/v1 (data {}, node {}, hypervisor {}, cluster {}:{})",
                        settings.address(), api.port(), dataDir, settings.nodeName(), choice.uri(),
                        settings.clusterAddress(), Cluster.get(system).selfMember().address().getPort().orElse(0));
            } else {
                log.info("Vireo control plane is up: http://{}:{}/api/v1 (data {}, cluster {}:{}, seeds {})",
                        settings.address(), api.port(), dataDir, settings.clusterAddress(),
                        Cluster.get(system).selfMember().address().getPort().orElse(0), settings.seeds());
            }
            return new Vireo(system, api, choice == null ? null : choice.uri());
        } catch (Exception | Error e) {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** With {@code vireo.auth.token-review} on, tokens the file does not know go to Kubernetes' TokenReview. */
    private static TokenFile tokenReviews(ActorSystem<Void> system, TokenFile tokens, Config vireo)
            throws java.io.IOException {
        if (!vireo.getBoolean("auth.token-review")) {
            return tokens;
        }
        io.fabric8.kubernetes.client.Config kube = dev.vireo.kube.KubernetesSync.clientConfig(
                vireo.getConfig("kubernetes"));
        if (kube == null) {
            throw new IllegalArgumentException("--token-review needs a Kubernetes API: give --kubeconfig, or run in a"
                    + " pod (vireo.kubernetes.in-cluster = on)");
        }
        dev.vireo.auth.TokenReviews reviews = new dev.vireo.auth.TokenReviews(
                new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(kube).build(),
                vireo.getDuration("auth.token-review-ttl"), vireo.getStringList("auth.token-review-audiences"));
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceStop(), "token-reviews", () -> {
            reviews.close();
            return CompletableFuture.completedFuture(Done.getInstance());
        });
        log.info("bearer tokens: {}, and those Kubernetes' TokenReview accepts on {} (answers kept {})",
                tokens.path(), kube.getMasterUrl(), vireo.getDuration("auth.token-review-ttl"));
        return tokens.withReviews(reviews);
    }

    /** {@code --tokens}, else {@code <data>/tokens.csv} (made on the first start). */
    static Path tokenFile(Config vireo, Path dataDir) throws java.io.IOException {
        String given = vireo.getString("auth.tokens");
        if (!given.isBlank()) {
            Path file = Path.of(given).toAbsolutePath();
            if (!Files.isReadable(file)) {
                throw new IllegalArgumentException("--tokens " + file + ": no such readable file");
            }
            return file;
        }
        return BootstrapTokens.ensure(dataDir, vireo.getString("auth.bootstrap-token"));
    }

    /** This machine's node, in the control plane's JVM: its lease cannot outlive the control plane, so no watchdog. */
    private static void startNode(ActorSystem<Void> system, Config vireo, ActorRef<Scheduler.Command> scheduler,
                                  VireoSettings settings, Path dataDir, String hypervisor) {
        Map<String, String> labels = new HashMap<>(settings.nodeLabels());
        vireo.getConfig("node.labels").entrySet().forEach(e -> labels.put(e.getKey(), e.getValue().unwrapped().toString()));
        String cpus = vireo.getString("node.cpus");
        String memory = vireo.getString("node.memory");
        NodeAgentSettings agent = NodeAgentSettings.of(settings.nodeName(), hypervisor, labels)
                .withCapacity(cpus.isBlank() ? null : Integer.valueOf(cpus),
                        memory.isBlank() ? null : Quantity.parseBytes(memory))
                // the VMs' overlays and console logs under --data
                .withDataDirectory(dataDir)
                .withImagesDirectory(settings.images().toAbsolutePath());
        NodeRuntimeActors.start(system, scheduler, agent, NodeRuntimeActors.Watchdog.OFF);
    }

    public int port() {
        return api.port();
    }

    /** {@code https} when the API serves TLS, else {@code http}. */
    public String scheme() {
        return api.certificate() == null ? "http" : "https";
    }

    /** The API's TLS certificate file (PEM), null without TLS: the CLI config names it as the CA to trust. */
    public Path certificate() {
        return api.certificate();
    }

    public String hypervisor() {
        return hypervisor;
    }

    @Override
    public CompletionStage<?> ended() {
        return system.getWhenTerminated();
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
