package dev.vireo.cluster;

import com.typesafe.config.Config;
import dev.vireo.auth.NodeCredentials;
import dev.vireo.node.ConsoleReader;
import dev.vireo.node.Lease;
import dev.vireo.node.LeaseKeeper;
import dev.vireo.node.NodeAgent;
import dev.vireo.node.NodeAgentSettings;
import dev.vireo.node.NodeFiles;
import dev.vireo.protocol.node.FromNode;
import dev.vireo.protocol.node.NodeConsole;
import dev.vireo.scheduler.Scheduler;
import java.time.Duration;
import java.util.UUID;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The actors of one node in a JVM: its node agent (over libvirt), its lease keeper, the reader of its VMs'
 * consoles, and its link to the control plane. The same in a node runtime of its own and in the one-machine
 * mode; only a node runtime of its own on a real hypervisor has a watchdog (a frozen JVM fences nothing,
 * and the watchdog does not need it), while a node in the control plane's JVM cannot outlive its control
 * plane, and the test driver's domains live and die with the JVM.
 */
public final class NodeRuntimeActors {

    /** What runs: the lease the agent runs under, and this run's session. */
    public record Started(String session, Lease lease, ActorRef<NodeAgent.Message> agent) {
    }

    private NodeRuntimeActors() {
    }

    /** Who guards the node's domains when its lease expires and its JVM cannot. */
    public enum Watchdog {
        /** Nobody: the domains live in this JVM (the test driver), or the node shares its JVM with the control plane. */
        OFF,
        /** The node runtime starts the watchdog process itself, detached, so that it outlives the JVM. */
        ON,
        /** Another process runs it ({@code vireo watchdog}, e.g. a container of its own beside the node's). */
        EXTERNAL
    }

    /**
     * The credential the node proves its name with: {@code vireo.cluster.node-token} ({@code --node-token-file}),
     * else, for a node in a control plane's JVM, its line of the control plane's own node credentials file.
     */
    static String nodeToken(Config cluster, String name) {
        String token = cluster.getString("node-token").strip();
        if (!token.isEmpty()) {
            return token;
        }
        String file = cluster.getString("node-tokens");
        if (file.isBlank()) {
            return null;
        }
        NodeCredentials credentials = new NodeCredentials(java.nio.file.Path.of(file));
        String own = credentials.token(name).orElse(null);
        if (own == null) {
            org.slf4j.LoggerFactory.getLogger(NodeRuntimeActors.class).error("node {} has no line in {}: the control"
                    + " plane will refuse it until one is added", name, credentials.path());
        }
        return own;
    }

    public static Started start(ActorSystem<?> system, ActorRef<Scheduler.Command> scheduler,
                                NodeAgentSettings agentSettings, Watchdog watchdog) {
        Config lease = system.settings().config().getConfig("vireo.node.lease");
        String name = agentSettings.nodeName();
        String session = UUID.randomUUID().toString();
        ActorRef<FromNode> link = system.systemActorOf(NodeLink.create(scheduler, name,
                        nodeToken(system.settings().config().getConfig("vireo.cluster"), name),
                        () -> org.apache.pekko.cluster.typed.Cluster.get(system).selfMember().address().toString()),
                "node-link-" + name, Props.empty());
        ActorRef<NodeConsole.Read> console = system.systemActorOf(
                ConsoleReader.create(name, agentSettings.dataDirectory()), "node-console-" + name, Props.empty());
        Lease held = Lease.required();
        NodeFiles files = watchdog == Watchdog.OFF ? null : new NodeFiles(agentSettings.dataDirectory());
        NodeAgent.Uplink uplink = new NodeAgent.Uplink(link.narrow(), link.narrow(), link.narrow(), console, session);
        // a failing agent is started again (it reconciles at start): the node must not stay lost
        ActorRef<NodeAgent.Message> agent = system.systemActorOf(Behaviors.supervise(NodeAgent.create(agentSettings, uplink, held,
                        files)).onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(500),
                        Duration.ofSeconds(30), 0.2)), "node-agent-" + name, Props.empty());
        system.systemActorOf(LeaseKeeper.create(name, session, held, link.narrow(), agent,
                new LeaseKeeper.Settings(lease.getDuration("renew-interval"), lease.getDuration("ask-timeout"),
                        lease.getDuration("node-check-interval"), files, agentSettings.hypervisorUri(),
                        lease.getDuration("watchdog-interval"), watchdog == Watchdog.ON)), "node-lease-" + name,
                Props.empty());
        return new Started(session, held, agent);
    }
}
