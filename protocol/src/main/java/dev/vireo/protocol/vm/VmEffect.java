package dev.vireo.protocol.vm;

import dev.vireo.protocol.node.NodeAgentCommand;
import java.time.Instant;
import java.util.Map;

/** What must happen outside the entity once its events are persisted. The entity only carries these out. */
public sealed interface VmEffect {

    /**
     * Ask the scheduler for a node for placement {@code incarnation}: one that matches {@code nodeSelector}, has
     * room and holds every one of {@code imageFiles}.
     */
    record RequestPlacement(VmId vm, long incarnation, int cores, long memoryBytes, Map<String, String> nodeSelector,
                            java.util.List<String> imageFiles, String requestId) implements VmEffect {
    }

    /** Tell the scheduler that this placement exists (after a recovery, the scheduler may not know it). */
    record ClaimPlacement(VmId vm, String node, long incarnation, int cores, long memoryBytes) implements VmEffect {
    }

    /** Give back the capacity of placement {@code incarnation}, or withdraw the request for it. */
    record ReleasePlacement(VmId vm, long incarnation) implements VmEffect {
    }

    record ToNode(NodeAgentCommand command) implements VmEffect {
    }

    /**
     * The VM {@code uid} is gone: every node deletes what it keeps for it (disk overlays, console log), but
     * not what a VM created again under the same name already has.
     */
    record DeleteFilesOnNodes(VmId vm, String uid, String requestId) implements VmEffect {
    }

    /** Wake the entity at {@code at} to end a CrashLoopBackOff. */
    record WakeAt(Instant at) implements VmEffect {
    }

    /**
     * Ask the scheduler to reserve a migration target other than {@code source} for placement {@code incarnation}
     * ({@code node}, if given, and only that one); answered with {@code MigrationTargetReserved} or
     * {@code MigrationTargetRefused}.
     */
    record ReserveMigrationTarget(VmId vm, String migrationId, String source, String node, long incarnation, int cores,
                                  long memoryBytes, Map<String, String> nodeSelector, java.util.List<String> imageFiles,
                                  String requestId) implements VmEffect {
    }

    /**
     * Tell the scheduler that migration {@code migrationId} holds its target {@code node} for placement
     * {@code incarnation} (after a recovery, the scheduler may not know it: the target's capacity would be free for
     * others while the VM moves there).
     */
    record ClaimMigrationTarget(VmId vm, String migrationId, String source, String node, long incarnation, int cores,
                                long memoryBytes) implements VmEffect {
    }

    /** Give back the target the scheduler reserved (or is asked to reserve) for migration {@code migrationId}. */
    record ReleaseMigrationTarget(VmId vm, String migrationId) implements VmEffect {
    }

    /**
     * Migration {@code migrationId} completed: its target's reservation becomes the VM's placement {@code incarnation}
     * on {@code node}, in place of the source's (claimed anew should the scheduler have lost the reservation).
     */
    record PromoteMigrationTarget(VmId vm, String migrationId, String node, long incarnation, int cores,
                                  long memoryBytes) implements VmEffect {
    }
}
