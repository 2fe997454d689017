package dev.vireo.node;

import static dev.vireo.node.LibvirtPool.rootMessage;

import dev.vireo.node.Hypervisor.VireoDomain;
import dev.vireo.protocol.node.NodeDelivery;
import dev.vireo.protocol.node.NodeImages;
import dev.vireo.protocol.node.NodeInfo;
import dev.vireo.protocol.node.NodeRegistration;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.libvirt.LibvirtException;
import org.libvirt.event.DomainEventDetail;
import org.libvirt.event.DomainEventType;
import org.libvirt.event.LifecycleListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's link to its hypervisor: opens the libvirt connection with the lifecycle listener on it,
 * notices when it breaks (libvirt closes it, or a heartbeat's ping goes unanswered), opens a fresh
 * one with backoff, and registers the node (every heartbeat) as ready only while a connection is open.
 *
 * <p>Part of the {@link NodeAgent} actor: its methods run on the actor's thread, its libvirt calls on
 * the agent's {@link LibvirtPool}, and what they come to arrives at the actor as the messages below. What runs
 * on other threads (the pool, libvirt's event loop) only tells the actor: it never touches its context.
 */
final class HypervisorLink {

    /** A connection is open; {@code found} are the Vireo domains it has. */
    record Connected(Hypervisor hypervisor, NodeInfo info, List<VireoDomain> found) implements NodeAgent.Message {
    }

    /** What the images directory holds now. */
    record ImagesScanned(NodeImages images) implements NodeAgent.Message {
    }

    record ConnectFailed(Throwable cause) implements NodeAgent.Message {
    }

    /** The connection {@code hypervisor} broke (libvirt closed it, or a ping failed). */
    record ConnectionLost(Hypervisor hypervisor, String reason) implements NodeAgent.Message {
    }

    record PingAnswered(Hypervisor hypervisor) implements NodeAgent.Message {
    }

    /** A lifecycle event of a domain, handed over from libvirt's event loop thread. */
    record LifecycleEvent(String domainName, String uuid, DomainEventType type, DomainEventDetail detail)
            implements NodeAgent.Message {
    }

    enum Tick implements NodeAgent.Message { CONNECT, HEARTBEAT, SCAN_IMAGES }

    private static final Logger log = LoggerFactory.getLogger(HypervisorLink.class);

    /** How often the images directory is looked at: a file copied there is offered within about this. */
    static final Duration IMAGES_SCAN = Duration.ofSeconds(1);

    private static final Duration FIRST_RECONNECT = Duration.ofSeconds(1);
    private static final Duration MAX_RECONNECT = Duration.ofSeconds(30);

    private final NodeAgentSettings settings;
    private final NodeAgent.Uplink uplink;
    private final ImageCatalog images;
    /** Where the control plane delivers commands, and answers a registration it refuses: the agent's adapters. */
    private final ActorRef<NodeDelivery> deliveries;
    private final ActorRef<NodeRegistration.Refused> refusals;
    private final ActorContext<NodeAgent.Message> context;
    private final TimerScheduler<NodeAgent.Message> timers;
    private final LibvirtPool pool;
    private final LifecycleListener listener;
    private Hypervisor hypervisor;
    private NodeInfo info;
    private Duration reconnectDelay = FIRST_RECONNECT;
    private boolean pingInFlight;
    private boolean scanning;

    HypervisorLink(NodeAgentSettings settings, NodeAgent.Uplink uplink, ActorRef<NodeDelivery> deliveries,
                   ActorRef<NodeRegistration.Refused> refusals, ActorContext<NodeAgent.Message> context,
                   TimerScheduler<NodeAgent.Message> timers, LibvirtPool pool) {
        this.settings = settings;
        this.uplink = uplink;
        this.deliveries = deliveries;
        this.refusals = refusals;
        this.images = new ImageCatalog(settings.imagesDirectory());
        this.context = context;
        this.timers = timers;
        this.pool = pool;
        this.listener = handOver(context.getSelf());
    }

    /**
     * The listener on the connection. It runs on libvirt's event loop thread, so it only tells {@code agent}
     * (name and UUID are local reads, no RPC) and logs through a logger of its own: an actor's context must not
     * be used from any other thread.
     */
    static LifecycleListener handOver(ActorRef<NodeAgent.Message> agent) {
        return (domain, event) -> {
            try {
                agent.tell(new LifecycleEvent(domain.getName(), domain.getUUIDString(), event.getType(),
                        (DomainEventDetail) event.getDetail()));
            } catch (LibvirtException | RuntimeException e) {
                log.warn("lifecycle event {} not handed over: {}", event, e.getMessage());
            }
            return 0;
        };
    }

    /** The open connection; null while there is none. */
    Hypervisor hypervisor() {
        return hypervisor;
    }

    /** Opens a connection and looks up Vireo's domains on it; answered with Connected or ConnectFailed. */
    void connect() {
        String uri = settings.hypervisorUri();
        ActorRef<NodeAgent.Message> self = context.getSelf();
        context.pipeToSelf(pool.call(() -> {
            Hypervisor hv = Hypervisor.open(uri, settings.nodeName(), settings.dataDirectory());
            try {
                hv.onClose(reason -> self.tell(new ConnectionLost(hv, "libvirt closed the connection (" + reason + ")")));
                hv.addLifecycleListener(listener);
                org.libvirt.NodeInfo node = hv.nodeInfo();
                // the actor takes the domains found into what it owns, when it takes the connection into use
                List<VireoDomain> found = hv.vireoDomains();
                return new Connected(hv, nodeInfo(hv, node).withImages(images.scan()), found);
            } catch (LibvirtException | RuntimeException e) {
                hv.closeQuietly(listener); // the retry opens a fresh connection
                throw e;
            }
        }), (connected, failure) -> failure == null ? connected : new ConnectFailed(failure));
    }

    private NodeInfo nodeInfo(Hypervisor hv, org.libvirt.NodeInfo node) throws LibvirtException {
        int cpus = settings.cpusOverride() != null ? settings.cpusOverride() : node.cpus;
        // libvirt reports node memory in KiB.
        long memory = settings.memoryBytesOverride() != null ? settings.memoryBytesOverride() : node.memory * 1024L;
        return new NodeInfo(settings.nodeName(), cpus, memory, settings.labels(), hv.uri(),
                hv.virtualization().word(), true, hv.hostId(), settings.advertisedUri(), NodeImages.NONE);
    }

    /**
     * Takes the new connection into use: {@code reconcile} hears of each Vireo domain found on it, then
     * the node registers ready and heartbeats from now on.
     */
    void opened(Connected connected, Consumer<VireoDomain> reconcile) {
        hypervisor = connected.hypervisor();
        info = connected.info();
        reconnectDelay = FIRST_RECONNECT;
        pingInFlight = false;
        context.getLog().info("node {} connected to {} ({}): {} cpus, {} bytes, {} Vireo domain(s) found",
                info.name(), info.hypervisor(), info.virtualization(), info.cpus(), info.memoryBytes(),
                connected.found().size());
        connected.found().forEach(reconcile);
        register();
        timers.startTimerAtFixedRate(Tick.HEARTBEAT, settings.heartbeatInterval());
        if (settings.imagesDirectory() != null && !timers.isTimerActive(Tick.SCAN_IMAGES)) {
            timers.startTimerAtFixedRate(Tick.SCAN_IMAGES, IMAGES_SCAN);
        }
    }

    /** Tries again after a delay that doubles with every failure, up to {@link #MAX_RECONNECT}. */
    void retryLater(ConnectFailed failed) {
        context.getLog().error("node {} cannot open {}: {}; retrying in {}", settings.nodeName(),
                settings.hypervisorUri(), rootMessage(failed.cause()), reconnectDelay);
        timers.startSingleTimer(Tick.CONNECT, reconnectDelay);
        reconnectDelay = reconnectDelay.multipliedBy(2).compareTo(MAX_RECONNECT) > 0
                ? MAX_RECONNECT : reconnectDelay.multipliedBy(2);
    }

    /**
     * The daemon went away: the node registers not ready and reconnects.
     *
     * @return false when the news is about a connection already given up (nothing changes)
     */
    boolean lost(ConnectionLost lost) {
        if (lost.hypervisor() != hypervisor) {
            return false;
        }
        context.getLog().error("node {} lost {}: {}; node not ready, reconnecting", settings.nodeName(),
                settings.hypervisorUri(), lost.reason());
        Hypervisor broken = hypervisor;
        hypervisor = null;
        pool.execute(() -> broken.closeQuietly(listener));
        info = info.withReady(false);
        register();
        reconnectDelay = FIRST_RECONNECT;
        timers.startSingleTimer(Tick.CONNECT, reconnectDelay);
        return true;
    }

    /** Registers the node as it is (not ready while there is no connection) and checks the connection. */
    void heartbeat() {
        if (info != null) {
            register(); // before the first connection there is nothing to register yet
        }
        ping();
    }

    /** Looks at the images directory (on the pool); what changed is registered at once ({@link #imagesScanned}). */
    void scanImages() {
        if (!scanning) {
            scanning = true;
            context.pipeToSelf(pool.call(images::scan), (scanned, failure) ->
                    new ImagesScanned(failure == null ? scanned : info == null ? NodeImages.NONE : info.images()));
        }
    }

    /** Registers again at once (the control plane lost track of this node runtime). */
    void registerNow() {
        if (info != null) {
            register();
        }
    }

    /** New contents of the images directory are registered at once; the same contents wait for the heartbeat. */
    void imagesScanned(ImagesScanned scanned) {
        scanning = false;
        if (info != null && !scanned.images().equals(info.images())) {
            info = info.withImages(scanned.images());
            register();
        }
    }

    /** Checks that the daemon still answers; a closed connection is not always announced. */
    void ping() {
        if (pingInFlight || hypervisor == null) {
            return;
        }
        pingInFlight = true;
        Hypervisor hv = hypervisor;
        context.pipeToSelf(pool.call(() -> {
            hv.ping();
            return hv;
        }), (ok, failure) -> failure == null ? new PingAnswered(hv)
                : new ConnectionLost(hv, "libvirt does not answer: " + rootMessage(failure)));
    }

    void pingAnswered() {
        pingInFlight = false;
    }

    /** Closes the connection, if one is open, on the pool. */
    void close() {
        Hypervisor hv = hypervisor;
        if (hv != null) {
            pool.execute(() -> hv.closeQuietly(listener));
        }
        images.close();
    }

    private void register() {
        uplink.registrations().tell(new NodeRegistration(info, deliveries, uplink.console(), uplink.session(),
                refusals));
    }
}
