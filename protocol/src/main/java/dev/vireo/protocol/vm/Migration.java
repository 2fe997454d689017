package dev.vireo.protocol.vm;

import dev.vireo.protocol.CborSerializable;

/**
 * A live migration in flight, as the VM's log says it is.
 *
 * @param id                the migration's id (API: {@code …/migrations/{id}})
 * @param source            the node the VM runs on, under the VM's current incarnation
 * @param requestedTarget   the node the user asked for; null: the scheduler chooses
 * @param target            the node chosen, its capacity reserved; null until then
 * @param targetIncarnation the incarnation the VM runs under on the target once it is there
 * @param step              how far it got
 * @param cancelRequested   a cancel was asked for; the source aborts its job, or the migration completes first
 */
public record Migration(String id, String source, String requestedTarget, String target, long targetIncarnation,
                        Step step, boolean cancelRequested, MigrationPolicy policy) implements CborSerializable {

    public enum Step {
        /** Waits for the scheduler to reserve a target. */
        Requested,
        /** The target is reserved and prepares the VM's files. */
        TargetChosen,
        /** The source's libvirt migrates the domain. */
        Started
    }

    static Migration requested(String id, String source, String requestedTarget, MigrationPolicy policy) {
        return new Migration(id, source, requestedTarget, null, 0, Step.Requested, false, policy);
    }

    Migration targetChosen(String node, long incarnation) {
        return new Migration(id, source, requestedTarget, node, incarnation, Step.TargetChosen, cancelRequested, policy);
    }

    Migration started() {
        return new Migration(id, source, requestedTarget, target, targetIncarnation, Step.Started, cancelRequested,
                policy);
    }

    Migration cancelling() {
        return new Migration(id, source, requestedTarget, target, targetIncarnation, step, true, policy);
    }

    /** True when {@code node} under {@code incarnation} is this migration's target. */
    public boolean isTarget(String node, long incarnation) {
        return target != null && target.equals(node) && targetIncarnation == incarnation;
    }
}
