package dev.vireo.node;

import dev.vireo.node.HypervisorLink.LifecycleEvent;
import dev.vireo.protocol.node.DomainState;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.vm.VmId;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.libvirt.event.StoppedDetail;
import org.slf4j.Logger;

/**
 * What a lifecycle event the agent did not cause itself means for its VM: a guest that powered itself
 * off has stopped, a QEMU that died has crashed, a pause or resume from outside Vireo is reported as
 * such. Used on the agent's actor thread only.
 */
final class LifecycleReports {

    /** The reports an event makes; {@code undefine}: the guest shut itself down, its domain is no longer wanted. */
    record Meaning(List<NodeReport> reports, boolean undefine) {
        static final Meaning NOTHING = new Meaning(List.of(), false);

        static Meaning report(NodeReport report) {
            return new Meaning(List.of(report), false);
        }
    }

    private final String node;
    private final Logger log;
    /** Domains last reported paused: a RESUMED event means something only for them (start emits one too). */
    private final Set<String> paused = new HashSet<>();

    LifecycleReports(String node, Logger log) {
        this.node = node;
        this.log = log;
    }

    /** Keeps track of which domains the control plane knows as paused; every report goes through here. */
    void reported(NodeReport report) {
        String domainName = report.vm().domainName();
        if (report instanceof NodeReport.DomainPaused
                || report instanceof NodeReport.DomainFound found && found.state() == DomainState.Paused) {
            paused.add(domainName);
        } else if (!(report instanceof NodeReport.ActionFailed || report instanceof NodeReport.DomainMissing)) {
            paused.remove(domainName);
        }
    }

    /** A domain found paused when the connection opened. */
    void foundPaused(String domainName) {
        paused.add(domainName);
    }

    /** What {@code event} of a domain of {@code meta} means, described as {@code cause}. */
    Meaning of(LifecycleEvent event, VireoMetadata meta, String cause) {
        VmId vm = meta.vm();
        long incarnation = meta.incarnation();
        switch (event.type()) {
            case STOPPED -> {
                return stopped(event, vm, incarnation);
            }
            case SUSPENDED -> {
                if (!isMigration(event)) {
                    return Meaning.report(new NodeReport.DomainPaused(vm, node, incarnation));
                }
            }
            case RESUMED -> {
                if (!isMigration(event) && paused.contains(event.domainName())) {
                    return Meaning.report(new NodeReport.DomainResumed(vm, node, incarnation));
                }
            }
            case STARTED -> log.debug("{} of {}: unexpected {}", event.domainName(), vm, cause);
            default -> log.debug("{} of {} ignored", cause, vm);
        }
        return Meaning.NOTHING;
    }

    private Meaning stopped(LifecycleEvent event, VmId vm, long incarnation) {
        if (!(event.detail() instanceof StoppedDetail detail)) {
            return Meaning.report(new NodeReport.DomainStopped(vm, node, incarnation, String.valueOf(event.detail())));
        }
        return switch (detail) {
            // The guest powered itself off: that is a stop, and the domain is no longer wanted.
            case SHUTDOWN -> new Meaning(List.of(new NodeReport.DomainStopped(vm, node, incarnation, "Shutdown")), true);
            case DESTROYED -> Meaning.report(new NodeReport.DomainCrashed(vm, node, incarnation, "Destroyed"));
            case CRASHED -> Meaning.report(new NodeReport.DomainCrashed(vm, node, incarnation, "Crashed"));
            case FAILED -> Meaning.report(new NodeReport.DomainCrashed(vm, node, incarnation, "Failed"));
            // The source side of a live migration; the migration protocol (a later issue) reports that.
            case MIGRATED -> {
                log.info("{} of {} left by migration", event.domainName(), vm);
                yield Meaning.NOTHING;
            }
            default -> Meaning.report(new NodeReport.DomainStopped(vm, node, incarnation, word(detail.name())));
        };
    }

    private static boolean isMigration(LifecycleEvent event) {
        return event.detail() != null && "MIGRATED".equals(((Enum<?>) event.detail()).name());
    }

    private static String word(String constant) {
        return constant.charAt(0) + constant.substring(1).toLowerCase().replace('_', ' ');
    }
}
