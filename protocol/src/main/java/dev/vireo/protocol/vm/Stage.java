package dev.vireo.protocol.vm;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Instant;

/**
 * Where an existing VM is in its life: its {@link Phase} and what that phase must know, nothing more. A VM
 * waiting for the scheduler has no node; a placed one always has one; only a CrashLoopBackOff has a time
 * to restart at. What each stage does with each command and report is in {@link VmLifecycle}.
 *
 * <p>To add a phase: a record here, the events that enter and leave it in {@link VmEvent} and {@link VmState#apply}, and its row in
 * {@link VmLifecycle}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = Stage.Stopped.class, name = "Stopped"),
        @JsonSubTypes.Type(value = Stage.Scheduling.class, name = "Scheduling"),
        @JsonSubTypes.Type(value = Stage.ErrorUnschedulable.class, name = "ErrorUnschedulable"),
        @JsonSubTypes.Type(value = Stage.Starting.class, name = "Starting"),
        @JsonSubTypes.Type(value = Stage.Running.class, name = "Running"),
        @JsonSubTypes.Type(value = Stage.Paused.class, name = "Paused"),
        @JsonSubTypes.Type(value = Stage.Migrating.class, name = "Migrating"),
        @JsonSubTypes.Type(value = Stage.Stopping.class, name = "Stopping"),
        @JsonSubTypes.Type(value = Stage.Restarting.class, name = "Restarting"),
        @JsonSubTypes.Type(value = Stage.Terminating.class, name = "Terminating"),
        @JsonSubTypes.Type(value = Stage.Unknown.class, name = "Unknown"),
        @JsonSubTypes.Type(value = Stage.CrashLoopBackOff.class, name = "CrashLoopBackOff"),
        @JsonSubTypes.Type(value = Stage.Failed.class, name = "Failed")
})
public sealed interface Stage {

    Phase phase();

    /** Waits for the scheduler to answer its request for placement {@code incarnation + 1}. */
    sealed interface WaitingForPlacement extends Stage {
    }

    /** Placed on a node, under the VM's current incarnation; its domain may run there. */
    sealed interface Placed extends Stage {
        String node();
    }

    /** Placed, and its domain is meant to run: started, running, paused, or not heard of for now. */
    sealed interface Active extends Placed {
        /** When its domain last started running; null if it never got that far. */
        Instant runningSince();
    }

    /** Placed, and its domain is being stopped; once it is gone, the stop's purpose decides what follows. */
    sealed interface GoingDown extends Placed {
    }

    /** Nothing runs, nothing is asked for. */
    record Stopped() implements Stage {
        @Override
        public Phase phase() {
            return Phase.Stopped;
        }
    }

    record Scheduling() implements WaitingForPlacement {
        @Override
        public Phase phase() {
            return Phase.Scheduling;
        }
    }

    /** The scheduler found no node yet; the request stands, and is placed once a node has room. */
    record ErrorUnschedulable() implements WaitingForPlacement {
        @Override
        public Phase phase() {
            return Phase.ErrorUnschedulable;
        }
    }

    /** Placed: the node was told to start the domain and has not said it runs. */
    record Starting(String node) implements Active {
        @Override
        public Phase phase() {
            return Phase.Starting;
        }

        @Override
        public Instant runningSince() {
            return null;
        }
    }

    record Running(String node, Instant runningSince) implements Active {
        @Override
        public Phase phase() {
            return Phase.Running;
        }
    }

    record Paused(String node, Instant runningSince) implements Active {
        @Override
        public Phase phase() {
            return Phase.Paused;
        }
    }

    /**
     * Runs on {@code node} (the source) and is being live-migrated: the target is chosen, prepared, then
     * libvirt moves the domain. Only the source runs it until the migration completes.
     */
    record Migrating(String node, Instant runningSince, Migration migration) implements Active {
        @Override
        public Phase phase() {
            return Phase.Migrating;
        }

        Migrating with(Migration changed) {
            return new Migrating(node, runningSince, changed);
        }
    }

    /** The node cannot reach its hypervisor: whether the domain still runs is not known until it reports. */
    record Unknown(String node, Instant runningSince) implements Active {
        @Override
        public Phase phase() {
            return Phase.Unknown;
        }
    }

    /** Its domain is being stopped, to stay stopped (unless the runStrategy changed meanwhile). */
    record Stopping(String node) implements GoingDown {
        @Override
        public Phase phase() {
            return Phase.Stopping;
        }
    }

    /** Its domain is being stopped, to be started again (phase Stopping). */
    record Restarting(String node) implements GoingDown {
        @Override
        public Phase phase() {
            return Phase.Stopping;
        }
    }

    /** Its domain is being stopped, and then the VM is deleted. */
    record Terminating(String node) implements GoingDown {
        @Override
        public Phase phase() {
            return Phase.Terminating;
        }
    }

    /** It crashed and the runStrategy brings it back at {@code restartAt}. */
    record CrashLoopBackOff(Instant restartAt) implements Stage {
        @Override
        public Phase phase() {
            return Phase.CrashLoopBackOff;
        }
    }

    /** It ended in a failure that its runStrategy does not restart. */
    record Failed() implements Stage {
        @Override
        public Phase phase() {
            return Phase.Failed;
        }
    }
}
