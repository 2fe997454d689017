package dev.vireo;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.vireo.cluster.ClusterBoot;
import dev.vireo.cluster.NodeRuntimeActors;
import dev.vireo.cluster.SchedulerSingleton;
import dev.vireo.node.HypervisorChoice;
import dev.vireo.node.HypervisorKind;
import dev.vireo.node.NodeAgentSettings;
import dev.vireo.scheduler.Scheduler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node runtime in its own JVM ({@code vireo node}): a node agent over this host's libvirt, its lease keeper
 * and watchdog, the reader of its consoles, and a cluster member (role {@code node}) that joins the control
 * plane. It keeps no journal and serves no API; {@code --port} serves {@code /healthz} and {@code /readyz}.
 *
 * <p>When the cluster removes this member (the split-brain resolver downs a member it could not reach: a frozen
 * JVM, cut-off traffic), its actor system ends; the runtime then starts a fresh one in the same process, which
 * joins again as a new member and a new session, and reconciles before it runs anything: the domains the
 * control plane gave to other nodes meanwhile are destroyed, the ones still its own resumed.
 */
public final class NodeRuntime implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NodeRuntime.class);
    private static final Duration RESTART_DELAY = Duration.ofSeconds(1);

    /** How a node runtime runs; {@code httpPort} negative: no health endpoint. */
    public record Settings(String name, String hypervisor, String clusterAddress, int clusterPort, List<String> seeds,
                           Path dataDir, Path imagesDir, Map<String, String> labels, Integer cpus, Long memoryBytes,
                           String advertiseUri, String httpAddress, int httpPort,
                           NodeRuntimeActors.Watchdog watchdog, Map<String, Object> config, String migrationAddress) {
    }

    private final Settings settings;
    private final String hypervisor;
    private final NodeRuntimeActors.Watchdog watchdog;
    private volatile boolean closing;
    private volatile Generation current;
    private final Thread keeper;

    private record Generation(ActorSystem<Void> system, NodeRuntimeActors.Started node, int httpPort) {
    }

    private NodeRuntime(Settings settings, String hypervisor, NodeRuntimeActors.Watchdog watchdog) {
        this.settings = settings;
        this.hypervisor = hypervisor;
        this.watchdog = watchdog;
        this.keeper = new Thread(this::keepRunning, "vireo-node-runtime");
        this.keeper.setDaemon(true);
    }

    public static NodeRuntime start(Settings settings) throws Exception {
        HypervisorChoice.Choice choice = HypervisorChoice.pick(settings.hypervisor());
        boolean test = HypervisorKind.fromUri(choice.uri()) == HypervisorKind.TEST;
        NodeRuntimeActors.Watchdog watchdog = settings.watchdog() != null ? settings.watchdog()
                : test ? NodeRuntimeActors.Watchdog.OFF : NodeRuntimeActors.Watchdog.ON;
        log.info("node {}: hypervisor {} ({}); {}", settings.name(), choice.uri(), choice.why(), switch (watchdog) {
            case ON -> "a watchdog process fences its domains when its lease expires";
            case EXTERNAL -> "a watchdog process of its own (vireo watchdog) fences its domains when its lease expires";
            case OFF -> "no watchdog (" + (test ? "the test driver's domains live in this JVM" : "--watchdog off") + ")";
        });
        Files.createDirectories(settings.dataDir());
        NodeRuntime runtime = new NodeRuntime(settings, choice.uri(), watchdog);
        runtime.current = runtime.startGeneration();
        runtime.keeper.start();
        return runtime;
    }

    private Generation startGeneration() throws Exception {
        Map<String, Object> overrides = new HashMap<>(settings.config());
        overrides.putAll(ClusterBoot.member(List.of(ClusterBoot.NODE), settings.clusterAddress(), settings.clusterPort()));
        overrides.put("vireo.data-dir", settings.dataDir().toAbsolutePath().toString());
        Config config = ConfigFactory.load(ConfigFactory.parseMap(overrides).withFallback(ConfigFactory.defaultApplication()));
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), ClusterBoot.SYSTEM_NAME,
                dev.vireo.cluster.JoinToken.withDigest(config));
        try {
            dev.vireo.cluster.JoinGuard.start(system, false);
            ClusterBoot.join(system, settings.seeds());
            ActorRef<Scheduler.Command> scheduler = SchedulerSingleton.init(system, null);
            NodeAgentSettings agent = NodeAgentSettings.of(settings.name(), hypervisor, settings.labels())
                    .withCapacity(settings.cpus(), settings.memoryBytes())
                    .withDataDirectory(settings.dataDir())
                    .withImagesDirectory(settings.imagesDir())
                    .withAdvertisedUri(settings.advertiseUri())
                    .withMigrationAddress(settings.migrationAddress());
            NodeRuntimeActors.Started node = NodeRuntimeActors.start(system, scheduler, agent, watchdog);
            int httpPort = settings.httpPort() < 0 ? -1 : health(system, node);
            log.info("node {} is up: session {}, cluster {}:{}, seeds {}, images {}, data {}{}", settings.name(),
                    node.session(), settings.clusterAddress(),
                    Cluster.get(system).selfMember().address().getPort().orElse(0), settings.seeds(),
                    settings.imagesDir(), settings.dataDir(), httpPort < 0 ? "" : ", health on port " + httpPort);
            return new Generation(system, node, httpPort);
        } catch (Exception | Error e) {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** {@code /healthz}: the process answers; {@code /readyz}: the node holds its lease. */
    private int health(ActorSystem<Void> system, NodeRuntimeActors.Started node) throws Exception {
        AllDirectives d = new AllDirectives() {
        };
        var route = d.concat(
                d.path("healthz", () -> d.get(() -> d.complete(HttpResponse.create().withEntity(
                        ContentTypes.APPLICATION_JSON, "{\"status\":\"ok\",\"node\":\"" + settings.name() + "\"}")))),
                d.path("readyz", () -> d.get(() -> {
                    boolean leased = node.lease().valid();
                    return d.complete(HttpResponse.create()
                            .withStatus(leased ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE)
                            .withEntity(ContentTypes.APPLICATION_JSON, "{\"status\":\"" + (leased ? "ready"
                                    : "not ready") + "\",\"lease\":" + leased + ",\"leaseRemainingMillis\":"
                                    + node.lease().remainingMillis() + "}"));
                })));
        return Http.get(system).newServerAt(settings.httpAddress(), settings.httpPort()).bind(route)
                .toCompletableFuture().get(30, TimeUnit.SECONDS).localAddress().getPort();
    }

    /** Starts a fresh actor system whenever the cluster removed this member, until {@link #close}. */
    private void keepRunning() {
        while (!closing) {
            Generation running = current;
            try {
                running.system().getWhenTerminated().toCompletableFuture().get();
            } catch (Exception e) {
                log.warn("node {}: waiting for its actor system failed: {}", settings.name(), e.toString());
            }
            if (closing) {
                return;
            }
            log.warn("node {}: its actor system ended: the cluster removed this member (downed after it could not be"
                    + " reached: frozen, or cut off); starting a fresh member to join again", settings.name());
            while (!closing) {
                try {
                    Thread.sleep(RESTART_DELAY.toMillis());
                    current = startGeneration();
                    break;
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    log.error("node {}: a fresh member could not start: {}; trying again", settings.name(), e.toString());
                }
            }
        }
    }

    public String hypervisor() {
        return hypervisor;
    }

    /** Leaves the cluster; the domains keep running under the lease until it expires (then the watchdog pauses them). */
    @Override
    public void close() {
        closing = true;
        Generation running = current;
        running.system().terminate();
        try {
            running.system().getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("node {}: shutdown did not finish cleanly: {}", settings.name(), e.toString());
        }
    }
}
