package dev.vireo.node;

import dev.vireo.node.Hypervisor.VireoDomain;
import dev.vireo.protocol.node.DomainState;
import dev.vireo.protocol.node.NodeLease;
import dev.vireo.protocol.node.NodeReport;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.libvirt.LibvirtException;
import org.libvirt.event.DomainEventType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the lease means for the node's domains, as blocking libvirt work on the agent's pool: once the lease
 * has expired every running Vireo domain is paused (fenced), the same thing the watchdog does when the JVM
 * cannot; once a lease is granted again, the domains the control plane says are no longer this node's are
 * destroyed, and the fenced ones that still are resume. Pausing, not destroying, keeps a guest whose node
 * only lost touch for a moment: it goes on where it stopped.
 */
final class Fencing {

    private static final Logger log = LoggerFactory.getLogger(Fencing.class);

    /** What a reconcile did: the reports to send, and the domains kept (to report as found). */
    record Reconciled(List<NodeReport> reports, List<VireoDomain> kept, int destroyed, int resumed) {
    }

    private final String node;
    private final OwnedDomains.Changes owned;
    private final NodeFiles files;
    /** Fenced domains when there are no node files (test driver, tests): the JVM's own record. */
    private final Set<String> fencedHere = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** @param files where the watchdog records what it fenced; null: no watchdog */
    Fencing(String node, OwnedDomains.Changes owned, NodeFiles files) {
        this.node = node;
        this.owned = owned;
        this.files = files;
    }

    /** Pauses every running Vireo domain; returns their names. */
    List<String> fenceAll(Hypervisor hv) throws LibvirtException {
        List<String> paused = new ArrayList<>();
        for (VireoDomain d : hv.vireoDomains()) {
            if (d.state() != DomainState.Running) {
                continue;
            }
            recordFenced(d.name()); // before the pause: whoever sees it happen knows it is the fence's
            try {
                owned.causing(d.uuid(), DomainEventType.SUSPENDED, d.domain()::suspend);
            } catch (LibvirtException e) {
                log.error("node {}: lease expired but domain {} could not be paused: {}", node, d.name(),
                        LibvirtPool.rootMessage(e));
                continue;
            }
            paused.add(d.name());
        }
        return paused;
    }

    void recordFenced(String domainName) {
        fencedHere.add(domainName);
        if (files != null) {
            files.recordFenced(domainName);
        }
    }

    /** Whether the lease's expiry paused this domain (the JVM or the watchdog). */
    boolean isFenced(String domainName) {
        return fencedHere.contains(domainName) || files != null && files.fencedDomains().contains(domainName);
    }

    /** The Vireo domains this node holds now, as the control plane is asked about them. */
    List<NodeLease.Held> held(Hypervisor hv) throws LibvirtException {
        List<NodeLease.Held> held = new ArrayList<>();
        for (VireoDomain d : hv.vireoDomains()) {
            owned.put(d.name(), new OwnedDomains.Owned(d.meta(), d.uuid()));
            held.add(new NodeLease.Held(d.meta().vm(), d.meta().incarnation()));
        }
        return held;
    }

    /**
     * Destroys the domains that are not the node's any more, resumes the fenced ones that are, and leaves the
     * ones nobody could answer for as they are.
     */
    Reconciled reconcile(Hypervisor hv, NodeLease.Ownership ownership) throws LibvirtException {
        Set<NodeLease.Held> mine = new HashSet<>(ownership.owned());
        Set<NodeLease.Held> notMine = new HashSet<>(ownership.notOwned());
        Set<String> fenced = new LinkedHashSet<>(fencedHere);
        if (files != null) {
            fenced.addAll(files.fencedDomains());
        }
        List<NodeReport> reports = new ArrayList<>();
        List<VireoDomain> kept = new ArrayList<>();
        Set<String> unfenced = new HashSet<>();
        int destroyed = 0;
        int resumed = 0;
        for (VireoDomain d : hv.vireoDomains()) {
            NodeLease.Held held = new NodeLease.Held(d.meta().vm(), d.meta().incarnation());
            if (notMine.contains(held)) {
                if (d.state().active()) {
                    owned.causing(d.uuid(), DomainEventType.STOPPED, d.domain()::destroy);
                }
                d.domain().undefine();
                owned.remove(d.name());
                unfenced.add(d.name());
                destroyed++;
                log.warn("node {}: destroyed {} incarnation {}: it is no longer this node's (placed elsewhere or"
                        + " stopped while the node was cut off)", node, d.meta().vm(), d.meta().incarnation());
                reports.add(new NodeReport.DomainStopped(d.meta().vm(), node, d.meta().incarnation(), "NotOwned"));
                continue;
            }
            if (mine.contains(held) && d.state() == DomainState.Paused && fenced.contains(d.name())) {
                owned.causing(d.uuid(), DomainEventType.RESUMED, d.domain()::resume);
                unfenced.add(d.name());
                resumed++;
                log.info("node {}: resumed {} incarnation {}: the lease is back and the VM is still this node's",
                        node, d.meta().vm(), d.meta().incarnation());
                kept.add(new VireoDomain(d.domain(), d.name(), d.meta(), d.uuid(), DomainState.Running));
                continue;
            }
            if (mine.contains(held)) {
                unfenced.add(d.name());
            }
            kept.add(d);
        }
        forget(unfenced);
        return new Reconciled(reports, kept, destroyed, resumed);
    }

    /** Resumes one domain the watchdog paused while the lease was (again) valid. */
    boolean resumeFenced(Hypervisor hv, String domainName, String uuid) throws LibvirtException {
        var found = hv.lookupVireo(domainName).vireo();
        if (found == null || !found.uuid().equals(uuid) || found.state() != DomainState.Paused) {
            return false;
        }
        owned.causing(uuid, DomainEventType.RESUMED, found.domain()::resume);
        forget(Set.of(domainName));
        return true;
    }

    private void forget(Set<String> domainNames) {
        fencedHere.removeAll(domainNames);
        if (files != null) {
            files.forgetFenced(domainNames);
        }
    }
}
