package dev.vireo.node;

import dev.vireo.protocol.node.NodeReport;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.libvirt.LibvirtException;

/** One blocking piece of a command on one domain; runs on the libvirt pool, never on the actor. */
@FunctionalInterface
interface DomainStep {

    Outcome run(Hypervisor hypervisor) throws LibvirtException, IOException;

    /** What a step came to: the command is finished, or it continues after a pause (e.g. polling). */
    sealed interface Outcome {
    }

    /** The command is finished; these reports go to the control plane. */
    record Done(List<NodeReport> reports) implements Outcome {
        static Done of(NodeReport... reports) {
            return new Done(List.of(reports));
        }
    }

    /**
     * Run {@code next} after {@code delay}, keeping the domain's lane: its later commands wait, while
     * the pool is free for other domains in between (a graceful stop can wait a long grace period).
     */
    record Again(Duration delay, DomainStep next) implements Outcome {
    }
}
