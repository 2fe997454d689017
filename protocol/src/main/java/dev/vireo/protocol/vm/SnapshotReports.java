package dev.vireo.protocol.vm;

import dev.vireo.protocol.node.NodeAction;
import dev.vireo.protocol.node.NodeReport;

/** Which node reports answer a snapshot or restore: they end the one under way, whatever the VM's placement. */
final class SnapshotReports {

    private SnapshotReports() {
    }

    static boolean isAbout(NodeReport report) {
        return report instanceof NodeReport.SnapshotTaken || report instanceof NodeReport.SnapshotRestored
                || report instanceof NodeReport.ActionFailed f
                && (f.action() == NodeAction.TakeSnapshot || f.action() == NodeAction.RestoreSnapshot);
    }
}
