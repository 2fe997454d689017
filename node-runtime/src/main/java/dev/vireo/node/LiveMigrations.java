package dev.vireo.node;

import dev.vireo.node.DomainStep.Done;
import dev.vireo.node.Hypervisor.Lookup;
import dev.vireo.node.Hypervisor.VireoDomain;
import dev.vireo.protocol.node.NodeAgentCommand;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.vm.MigrationPolicy;
import dev.vireo.protocol.vm.MigrationProgress;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainJobInfo;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Live migration on a node: the target prepares the VM's files; the source has its libvirt move the domain
 * (managed direct: the source's node runtime holds the connections to both daemons), copying the VM's overlays
 * incrementally over the base images both nodes hold, while a watcher reports the job's progress and enforces the
 * policy's timeouts; a cancel aborts the job.
 */
final class LiveMigrations {

    private static final Logger log = LoggerFactory.getLogger(LiveMigrations.class);
    private static final int MIGRATABLE_XML = 8;
    private static final long PROGRESS_EVERY_MS = 500;

    private final String node;
    private final Path dataDirectory;
    private final ImageFiles images;
    private final OwnedDomains.Changes owned;
    private final String address;
    private final String advertisedUri;
    private final Consumer<NodeReport> progress;
    /** migration id -> the migration this node's libvirt runs as its source */
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    /** migrations cancelled before they started here */
    private final Set<String> cancelledEarly = ConcurrentHashMap.newKeySet();

    /** A migration under way on this node: its domain, and why it was aborted, once it was. */
    private static final class Running {
        final Domain domain;
        volatile String abortedBecause;
        volatile boolean cancelled;
        /** switched to post-copy: the guest runs on the target, the job can no longer be aborted */
        volatile boolean postCopy;
        /** the switch to post-copy was tried (once: if libvirt refused, pre-copy and the policy's timeouts go on) */
        volatile boolean postCopyTried;

        Running(Domain domain) {
            this.domain = domain;
        }
    }

    /**
     * @param address       the address this node's incoming migrations listen on (other nodes must reach it)
     * @param advertisedUri the URI other nodes reach this node's libvirt daemon by ({@code --advertise-uri})
     * @param progress      where progress reports go (any thread)
     */
    LiveMigrations(String node, Path dataDirectory, ImageFiles images, OwnedDomains.Changes owned, String address,
                   String advertisedUri, Consumer<NodeReport> progress) {
        this.advertisedUri = advertisedUri;
        this.node = node;
        this.dataDirectory = dataDirectory;
        this.images = images;
        this.owned = owned;
        this.address = address;
        this.progress = progress;
    }

    // ---- the target ----

    Done prepare(Hypervisor hv, NodeAgentCommand.PrepareMigration c) throws LibvirtException, IOException {
        String name = c.vm().domainName();
        if (!hv.virtualization().runsGuests()) {
            return failed(c, "libvirt's test driver (" + hv.uri() + ") cannot migrate; run real guests to migrate");
        }
        Lookup found = hv.lookupVireo(name);
        if (found.foreign()) {
            return failed(c, "a domain named '" + name + "' that Vireo did not create exists on node " + node);
        }
        if (found.vireo() != null) {
            VireoDomain d = found.vireo();
            if (d.state().active()) {
                return failed(c, "domain '" + name + "' of incarnation " + d.meta().incarnation() + " runs on node "
                        + node + " already; a VM runs on one node at a time");
            }
            d.domain().undefine(); // a leftover definition: the incoming domain defines itself
            owned.remove(name);
        }
        VirtualMachineSpec confined;
        try {
            confined = images.confine(c.spec(), node);
        } catch (IOException e) {
            return failed(c, e.getMessage());
        }
        VmFiles files = VmFiles.of(dataDirectory, c.vm());
        GuestFiles.prepareIncoming(files, c.uid(), confined);
        try {
            confined = PinnedImages.pin(confined, files, images.directory()); // QEMU opens what was checked
            PinnedImages.verifyDisks(confined, images.directory()); // the base images the overlays are made on
        } catch (IOException e) {
            return failed(c, e.getMessage());
        }
        Map<String, String> roles = GuestFiles.byRole(c.spec(), confined, files);
        int port = freePort();
        int disksPort = freePort();
        log.info("{} migration {} incarnation {} (request {}): files ready on node {}, listening on {}:{} and {}",
                c.vm(), c.migrationId(), c.incarnation(), c.requestId(), node, address, port, disksPort);
        return Done.of(new NodeReport.MigrationPrepared(c.vm(), node, c.incarnation(), c.migrationId(), roles,
                advertisedUri == null ? hv.uri() : advertisedUri, address, port, disksPort));
    }

    private int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(address))) {
            return socket.getLocalPort();
        }
    }

    // ---- the source ----

    Done migrate(Hypervisor hv, NodeAgentCommand.MigrateDomain c) throws LibvirtException, IOException {
        if (cancelledEarly.remove(c.migrationId())) {
            return aborted(c, true, "cancelled before it started");
        }
        VireoDomain d = hv.lookupVireo(c.vm().domainName()).vireo();
        if (d == null || !d.meta().vm().equals(c.vm()) || d.meta().incarnation() != c.incarnation()
                || !d.state().active()) {
            return aborted(c, false, "node " + node + " runs no domain of " + c.vm() + " incarnation " + c.incarnation());
        }
        NodeReport.MigrationPrepared target = c.prepared();
        VirtualMachineSpec confined;
        try {
            confined = images.confine(c.spec(), node);
        } catch (IOException e) {
            return aborted(c, false, e.getMessage());
        }
        VmFiles files = VmFiles.of(dataDirectory, c.vm());
        confined = PinnedImages.pinned(confined, files, images.directory()); // as the domain's XML names them
        String xml = destinationXml(d.domain().getXMLDesc(MIGRATABLE_XML), GuestFiles.byRole(c.spec(), confined, files),
                target.files(), c.targetIncarnation());
        MigrationPolicy policy = c.policy();
        boolean disks = !confined.withDefaults().disks().isEmpty();
        int flags = LibvirtMigrate.LIVE | LibvirtMigrate.PERSIST_DEST | LibvirtMigrate.UNDEFINE_SOURCE
                | (disks ? LibvirtMigrate.NON_SHARED_INC : 0) | (policy.autoConverge() ? LibvirtMigrate.AUTO_CONVERGE : 0)
                | (policy.postCopy() ? LibvirtMigrate.POSTCOPY : 0);
        LibvirtMigrate.Params params = new LibvirtMigrate.Params()
                .put("migrate_uri", "tcp://" + target.address() + ":" + target.port())
                .put("destination_xml", xml)
                .put("listen_address", target.address())
                .put("disks_port", disks ? target.disksPort() : null)
                .put("bandwidth", policy.bandwidthMiBps() > 0 ? policy.bandwidthMiBps() : null);
        Running job = new Running(d.domain());
        running.put(c.migrationId(), job);
        long started = System.nanoTime();
        Thread watcher = new Thread(() -> watch(c, job, started), "migration-" + c.migrationId());
        watcher.setDaemon(true);
        log.info("{} migration {} (request {}): node {} incarnation {} -> node {} incarnation {} at {}{}", c.vm(),
                c.migrationId(), c.requestId(), node, c.incarnation(), c.target(), c.targetIncarnation(),
                target.libvirtUri(), policy.postCopy() ? ", post-copy after " + policy.switchToPostCopyAfter()
                        + " pass(es) over memory" : "");
        Connect destination = null;
        try {
            destination = new Connect(target.libvirtUri());
            watcher.start();
            Map<String, Long> stats = LibvirtMigrate.migrate(d.domain(), destination, params, flags);
            long took = (System.nanoTime() - started) / 1_000_000;
            owned.remove(d.name());
            try {
                if (!files.leaveOnlySnapshotsIfOwnedBy(d.meta().uid())) {
                    log.info("{}: files {} belong to another VM; kept", c.vm(), files);
                }
            } catch (IOException e) {
                log.warn("{} moved to node {}, but its old files here stay: {}", c.vm(), c.target(), e.toString());
            }
            return Done.of(new NodeReport.MigrationSucceeded(c.vm(), node, c.incarnation(), c.migrationId(),
                    stats.getOrDefault("downtime", -1L), took, stats.getOrDefault("data_processed", -1L)));
        } catch (LibvirtMigrate.Failed | LibvirtException e) {
            String why = job.abortedBecause != null ? job.abortedBecause + " (libvirt: " + e.getMessage() + ")"
                    : e.getMessage();
            return aborted(c, job.cancelled, why);
        } finally {
            running.remove(c.migrationId());
            watcher.interrupt();
            if (destination != null) {
                try {
                    destination.close();
                } catch (LibvirtException e) {
                    // the connection is given up either way
                }
            }
        }
    }

    /** Cancels migration {@code c.migrationId()}: aborts its job, or marks it to end before it starts. */
    void cancel(NodeAgentCommand.CancelMigration c) {
        Running job = running.get(c.migrationId());
        if (job == null) {
            cancelledEarly.add(c.migrationId());
            return;
        }
        abort(job, "cancelled as asked (request " + c.requestId() + ")", true);
    }

    private void abort(Running job, String because, boolean cancelled) {
        if (job.postCopy) {
            // the guest runs on the target already; aborting now would leave it nowhere: the job runs to its end
            log.info("not aborting a migration on node {} in post-copy ({}): it completes", node, because);
            return;
        }
        job.abortedBecause = because;
        job.cancelled = cancelled;
        try {
            job.domain.abortJob();
        } catch (LibvirtException e) {
            log.info("abort of a migration on node {}: {}", node, e.getMessage()); // it may just have ended
        }
    }

    /**
     * Every half second while the migration runs: its progress as a report, the maximum downtime set once the job
     * exists, and the policy's timeouts enforced (by aborting the job).
     */
    private void watch(NodeAgentCommand.MigrateDomain c, Running job, long started) {
        MigrationPolicy policy = c.policy();
        long completionMs = policy.completionTimeoutSeconds(c.spec().memoryBytes()) * 1000;
        long lastRemaining = Long.MAX_VALUE;
        long lastShrank = System.nanoTime();
        boolean downtimeSet = false;
        try {
            while (!Thread.currentThread().isInterrupted()) {
                Thread.sleep(PROGRESS_EVERY_MS);
                DomainJobInfo info = job.domain.getJobInfo();
                if (info.getType() == 0) {
                    continue; // no job (yet, or any more)
                }
                if (!downtimeSet) {
                    downtimeSet = setMaxDowntime(job.domain, policy.maxDowntimeMs());
                }
                Map<String, Long> stats = LibvirtMigrate.runningJob(job.domain);
                long remaining = info.getDataRemaining();
                long iteration = stats.getOrDefault("memory_iteration", 0L);
                long now = System.nanoTime();
                if (remaining < lastRemaining) {
                    lastRemaining = remaining;
                    lastShrank = now;
                }
                boolean timedOut = (now - started) / 1_000_000 > completionMs
                        || (now - lastShrank) / 1_000_000_000 > policy.progressTimeoutSeconds();
                String switchBecause = job.postCopyTried ? null : postCopyDue(policy, iteration, timedOut);
                if (switchBecause != null) {
                    switchToPostCopy(c, job, switchBecause);
                }
                progress.accept(new NodeReport.MigrationProgressed(c.vm(), node, c.incarnation(), c.migrationId(),
                        new MigrationProgress(info.getTimeElapsed(), info.getDataTotal(), info.getDataProcessed(),
                                remaining, stats.getOrDefault("memory_dirty_rate", 0L), iteration, job.postCopy)));
                if (job.postCopy) {
                    continue; // the guest runs on the target: the job is no longer given up on a timeout
                }
                if ((now - started) / 1_000_000 > completionMs) {
                    abort(job, "it took longer than " + completionMs / 1000 + " s (completionTimeoutPerGiBSeconds "
                            + policy.completionTimeoutPerGiBSeconds() + ")", false);
                    return;
                }
                if ((now - lastShrank) / 1_000_000_000 > policy.progressTimeoutSeconds()) {
                    abort(job, "no progress for " + policy.progressTimeoutSeconds() + " s (progressTimeoutSeconds)",
                            false);
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (LibvirtException | RuntimeException e) {
            log.debug("{} migration {}: progress no longer readable: {}", c.vm(), c.migrationId(), e.toString());
        }
    }

    /**
     * Why a migration under {@code policy} should switch to post-copy now, at pass {@code iteration} over memory
     * ({@code timedOut}: a timeout of the policy would abort it otherwise); null: not (yet), or not allowed.
     */
    static String postCopyDue(MigrationPolicy policy, long iteration, boolean timedOut) {
        if (!policy.postCopy()) {
            return null;
        }
        if (timedOut) {
            return "a timeout of the policy was reached at pass " + iteration + " over memory";
        }
        if (iteration > policy.switchToPostCopyAfter()) {
            return "pre-copy did not converge in " + policy.switchToPostCopyAfter() + " pass(es) over memory";
        }
        return null;
    }

    private void switchToPostCopy(NodeAgentCommand.MigrateDomain c, Running job, String because) {
        job.postCopyTried = true;
        try {
            LibvirtMigrate.startPostCopy(job.domain);
            job.postCopy = true;
            log.info("{} migration {} (request {}): switched to post-copy on node {}: {}", c.vm(), c.migrationId(),
                    c.requestId(), node, because);
        } catch (LibvirtMigrate.Failed e) {
            // the job may just have completed; otherwise it goes on pre-copy and the policy's timeouts apply
            log.info("{} migration {} (request {}): no switch to post-copy on node {} ({}): {}", c.vm(),
                    c.migrationId(), c.requestId(), node, because, e.getMessage());
        }
    }

    private static boolean setMaxDowntime(Domain domain, long ms) {
        try {
            domain.migrateSetMaxDowntime(ms);
            return true;
        } catch (LibvirtException e) {
            return false;
        }
    }

    private static final Pattern INCARNATION = Pattern.compile("(<(?:\\w+:)?vm\\b[^>]*\\bincarnation=)(['\"])\\d+\\2");

    /**
     * The domain as the target runs it: the source's paths replaced by the target's, role by role (overlays, console
     * log, images), and the target's incarnation in Vireo's metadata.
     */
    static String destinationXml(String sourceXml, Map<String, String> here, Map<String, String> there,
                                 long incarnation) {
        String xml = sourceXml;
        for (Map.Entry<String, String> role : here.entrySet()) {
            String theirs = there.get(role.getKey());
            if (theirs != null && !theirs.equals(role.getValue())) {
                xml = xml.replace("'" + DomainXml.escape(role.getValue()) + "'", "'" + DomainXml.escape(theirs) + "'")
                        .replace("\"" + DomainXml.escape(role.getValue()) + "\"", "\"" + DomainXml.escape(theirs) + "\"")
                        .replace(">" + DomainXml.escape(role.getValue()) + "<", ">" + DomainXml.escape(theirs) + "<");
            }
        }
        Matcher m = INCARNATION.matcher(xml);
        if (!m.find()) {
            throw new IllegalArgumentException("the domain's XML carries no Vireo incarnation");
        }
        return m.replaceFirst("$1$2" + incarnation + "$2");
    }

    private Done failed(NodeAgentCommand c, String message) {
        return Done.of(new NodeReport.ActionFailed(c.vm(), node, DomainOperations.incarnationOf(c), c.action(), message));
    }

    private Done aborted(NodeAgentCommand.MigrateDomain c, boolean cancelled, String reason) {
        log.info("{} migration {} (request {}): {} on node {}: {}", c.vm(), c.migrationId(), c.requestId(),
                cancelled ? "cancelled" : "failed", node, reason);
        return Done.of(new NodeReport.MigrationAborted(c.vm(), node, c.incarnation(), c.migrationId(), cancelled,
                reason));
    }
}
