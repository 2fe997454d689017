package dev.vireo.e2e;

import dev.vireo.node.DomainXml;
import dev.vireo.node.VireoMetadata;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInfo;
import org.libvirt.LibvirtException;

/**
 * An independent witness: every {@code interval} it lists the running domains of every libvirt daemon, with
 * connections of its own (not Vireo's), and records every moment one VM (by the uid in Vireo's metadata) was
 * running on two daemons at once (proven by overlap, see {@link #overlapping}). A paused domain (fenced) does not
 * run. A daemon that does not answer (killed, as in a host death) runs nothing.
 */
final class DomainSampler implements AutoCloseable {

    /** One VM seen running in more than one place in the same sample. */
    record Double(Instant at, String uid, String vm, List<String> daemons) {
    }

    private final Map<String, String> daemons;
    private final Duration interval;
    private final Map<String, Connect> connections = new HashMap<>();
    private final List<Double> doubles = Collections.synchronizedList(new ArrayList<>());
    /** Per VM uid: the daemons it was last seen running on (for the tests' own assertions). */
    private final Map<String, List<String>> lastSeen = Collections.synchronizedMap(new HashMap<>());
    private final AtomicLong samples = new AtomicLong();
    /** Samples that saw a VM on two daemons only because it moved between them while they were asked in turn. */
    private final AtomicLong handoffs = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    /** @param daemons label -> libvirt URI of each daemon to watch */
    DomainSampler(Map<String, String> daemons, Duration interval) {
        this.daemons = new LinkedHashMap<>(daemons);
        this.interval = interval;
        this.thread = new Thread(this::loop, "domain-sampler");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    long samples() {
        return samples.get();
    }

    long handoffs() {
        return handoffs.get();
    }

    List<Double> doubles() {
        synchronized (doubles) {
            return List.copyOf(doubles);
        }
    }

    /** The daemons the VM of {@code uid} ran on at the last sample (empty: nowhere). */
    List<String> runningOn(String uid) {
        return lastSeen.getOrDefault(uid, List.of());
    }

    private void loop() {
        while (running) {
            long started = System.nanoTime();
            Map<String, List<String>> where = new HashMap<>();
            Map<String, String> names = new HashMap<>();
            daemons.forEach((label, uri) -> running(uri).forEach(meta -> {
                where.computeIfAbsent(meta.uid(), u -> new ArrayList<>()).add(label);
                names.put(meta.uid(), meta.vm().entityId());
            }));
            Instant at = Instant.now();
            lastSeen.clear();
            where.forEach((uid, labels) -> {
                lastSeen.put(uid, List.copyOf(labels));
                if (labels.size() > 1) {
                    List<String> overlapping = overlapping(uid, labels);
                    if (overlapping.size() > 1) {
                        doubles.add(new Double(at, uid, names.get(uid), overlapping));
                    } else {
                        handoffs.incrementAndGet();
                    }
                }
            });
            samples.incrementAndGet();
            long left = interval.toNanos() - (System.nanoTime() - started);
            if (left > 0) {
                try {
                    Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /**
     * The daemons are asked one after the other, so a domain that moved between two of them during one pass (a live
     * migration's switchover) is seen on both without ever running on both. A double is proven only by overlap: the
     * daemons asked before the last one that showed it are asked again, and one that still runs it ran it at the
     * moment the last one did. Returns those daemons with the last one; fewer than two: a handoff seen in passing.
     */
    private List<String> overlapping(String uid, List<String> labels) {
        String last = labels.get(labels.size() - 1);
        List<String> overlapping = new ArrayList<>();
        for (String label : labels.subList(0, labels.size() - 1)) {
            if (running(daemons.get(label)).stream().anyMatch(meta -> meta.uid().equals(uid))) {
                overlapping.add(label);
            }
        }
        overlapping.add(last);
        return overlapping;
    }

    /** The Vireo metadata of every domain running on {@code uri}; nothing when the daemon does not answer. */
    private List<VireoMetadata> running(String uri) {
        List<VireoMetadata> found = new ArrayList<>();
        try {
            Connect connect = connections.get(uri);
            if (connect == null || !connect.isAlive()) {
                close(uri);
                connect = new Connect(uri);
                connections.put(uri, connect);
            }
            for (int id : connect.listDomains()) {
                try {
                    Domain domain = connect.domainLookupByID(id);
                    if (domain.getInfo().state == DomainInfo.DomainState.VIR_DOMAIN_RUNNING) {
                        Optional<VireoMetadata> meta = DomainXml.metadata(domain.getXMLDesc(0));
                        meta.ifPresent(found::add);
                    }
                } catch (LibvirtException gone) {
                    // ended between the listing and the lookup
                }
            }
        } catch (LibvirtException e) {
            close(uri);
        }
        return found;
    }

    private void close(String uri) {
        Connect old = connections.remove(uri);
        if (old != null) {
            try {
                old.close();
            } catch (LibvirtException e) {
                // the daemon is gone
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(5_000);
        List.copyOf(connections.keySet()).forEach(this::close);
    }
}
