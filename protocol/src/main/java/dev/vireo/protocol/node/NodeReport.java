package dev.vireo.protocol.node;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.vireo.protocol.CborSerializable;
import dev.vireo.protocol.vm.VmId;

/**
 * What a node agent tells the VM entity about a domain. Each report carries the incarnation the
 * domain was started with; the entity records and ignores reports of any other incarnation.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = NodeReport.DomainStarted.class, name = "DomainStarted"),
        @JsonSubTypes.Type(value = NodeReport.DomainStopped.class, name = "DomainStopped"),
        @JsonSubTypes.Type(value = NodeReport.DomainCrashed.class, name = "DomainCrashed"),
        @JsonSubTypes.Type(value = NodeReport.DomainPaused.class, name = "DomainPaused"),
        @JsonSubTypes.Type(value = NodeReport.DomainResumed.class, name = "DomainResumed"),
        @JsonSubTypes.Type(value = NodeReport.DomainFound.class, name = "DomainFound"),
        @JsonSubTypes.Type(value = NodeReport.DomainMissing.class, name = "DomainMissing"),
        @JsonSubTypes.Type(value = NodeReport.ActionFailed.class, name = "ActionFailed")
})
public sealed interface NodeReport extends FromNode {

    VmId vm();

    String node();

    long incarnation();

    /** The report in a word, as the history names a report it ignored: DomainStarted, DomainFound(Paused), … */
    String describe();

    /** The domain runs (after a start, or found running). */
    record DomainStarted(VmId vm, String node, long incarnation) implements NodeReport {
        @Override
        public String describe() {
            return "DomainStarted";
        }
    }

    /** The domain is shut off. {@code reason}: Shutdown (guest or ACPI), Destroyed, or libvirt's word. */
    record DomainStopped(VmId vm, String node, long incarnation, String reason) implements NodeReport {
        @Override
        public String describe() {
            return "DomainStopped";
        }
    }

    /** The domain ended without being asked to (QEMU died, guest crashed). */
    record DomainCrashed(VmId vm, String node, long incarnation, String reason) implements NodeReport {
        @Override
        public String describe() {
            return "DomainCrashed";
        }
    }

    record DomainPaused(VmId vm, String node, long incarnation) implements NodeReport {
        @Override
        public String describe() {
            return "DomainPaused";
        }
    }

    record DomainResumed(VmId vm, String node, long incarnation) implements NodeReport {
        @Override
        public String describe() {
            return "DomainResumed";
        }
    }

    /**
     * A Vireo domain exists on the node (found by the agent's reconcile at start, or in answer to
     * {@link NodeAgentCommand.EnsureDomain}); {@code state} is Running, Paused or Stopped.
     */
    record DomainFound(VmId vm, String node, long incarnation, String uid, DomainState state) implements NodeReport {
        @Override
        public String describe() {
            return "DomainFound(" + state + ")";
        }
    }

    /** Answer to {@link NodeAgentCommand.EnsureDomain}: the node has no such domain. */
    record DomainMissing(VmId vm, String node, long incarnation) implements NodeReport {
        @Override
        public String describe() {
            return "DomainMissing";
        }
    }

    /** A command could not be carried out; {@code action} names the command, {@code message} libvirt's error. */
    record ActionFailed(VmId vm, String node, long incarnation, NodeAction action, String message)
            implements NodeReport {
        @Override
        public String describe() {
            return "ActionFailed";
        }
    }
}
