package dev.vireo.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.vireo.protocol.vm.MigrationPolicy;
import dev.vireo.protocol.vm.MigrationProgress;
import dev.vireo.protocol.vm.VmEvent;
import dev.vireo.protocol.vm.VmEvent.MigrationEvent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A live migration as the API shows it ({@code GET …/migrations[/{id}]}), folded from the VM's history: its phase
 * (Pending, Scheduled, Running, Succeeded, Failed, Cancelled), nodes, times, last progress and, once it
 * succeeded, the downtime libvirt measured.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MigrationView(String id, String phase, String source, String target, Long targetIncarnation,
                            String requestedBy, String requestedAt, String startedAt, String endedAt,
                            Boolean cancelRequested, Progress progress, Long downtimeMs, Long durationMs,
                            String reason, MigrationPolicy policy) {

    /**
     * The last progress the source reported; {@code postCopySince}: when the first report after the switch to
     * post-copy was recorded (absent while it copies pre-copy).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Progress(int percent, long dataTotal, long dataProcessed, long dataRemaining, long dirtyRate,
                           long iteration, long elapsedMs, Boolean postCopy, String postCopySince) {
        static Progress of(MigrationProgress p, Progress before, String at) {
            String since = !p.postCopy() ? null : before != null && before.postCopySince != null ? before.postCopySince
                    : at;
            return new Progress(p.percent(), p.dataTotal(), p.dataProcessed(), p.dataRemaining(), p.dirtyRate(),
                    p.iteration(), p.elapsedMs(), p.postCopy() ? Boolean.TRUE : null, since);
        }
    }

    /** Whether it ended (Succeeded, Failed or Cancelled). */
    public boolean ended() {
        return phase.equals("Succeeded") || phase.equals("Failed") || phase.equals("Cancelled");
    }

    /** Every migration in {@code history}, oldest first. */
    public static List<MigrationView> of(List<VmEvent> history) {
        Map<String, MigrationView> byId = new LinkedHashMap<>();
        for (VmEvent event : history) {
            if (event instanceof MigrationEvent e) {
                MigrationView before = byId.get(e.migrationId());
                byId.put(e.migrationId(), step(before, e));
            }
        }
        return new ArrayList<>(byId.values());
    }

    private static MigrationView step(MigrationView v, MigrationEvent event) {
        String at = event.meta().timestamp() == null ? null : event.meta().timestamp().toString();
        if (event instanceof VmEvent.MigrationRequested e) {
            return new MigrationView(e.migrationId(), "Pending", e.source(), e.requestedTarget(), null,
                    e.meta().principal(), at, null, null, null, null, null, null, null, e.policy());
        }
        if (v == null) {
            return null; // the log starts after its request (never: the request is in the same log)
        }
        if (event instanceof VmEvent.MigrationTargetChosen e) {
            return new MigrationView(v.id, "Scheduled", v.source, e.target(), e.targetIncarnation(), v.requestedBy,
                    v.requestedAt, null, null, v.cancelRequested, null, null, null, null, v.policy);
        } else if (event instanceof VmEvent.MigrationStarted) {
            return new MigrationView(v.id, "Running", v.source, v.target, v.targetIncarnation, v.requestedBy,
                    v.requestedAt, at, null, v.cancelRequested, null, null, null, null, v.policy);
        } else if (event instanceof VmEvent.MigrationProgressed e) {
            return new MigrationView(v.id, v.phase, v.source, v.target, v.targetIncarnation, v.requestedBy,
                    v.requestedAt, v.startedAt, null, v.cancelRequested, Progress.of(e.progress(), v.progress, at), null, null, null,
                    v.policy);
        } else if (event instanceof VmEvent.MigrationCancelRequested) {
            return new MigrationView(v.id, v.phase, v.source, v.target, v.targetIncarnation, v.requestedBy,
                    v.requestedAt, v.startedAt, null, true, v.progress, null, null, null, v.policy);
        } else if (event instanceof VmEvent.MigrationCompleted e) {
            return new MigrationView(v.id, "Succeeded", v.source, e.target(), e.incarnation(), v.requestedBy,
                    v.requestedAt, v.startedAt, at, v.cancelRequested, v.progress, e.downtimeMs(), e.durationMs(), null,
                    v.policy);
        } else if (event instanceof VmEvent.MigrationFailed e) {
            return new MigrationView(v.id, "Failed", v.source, v.target, v.targetIncarnation, v.requestedBy,
                    v.requestedAt, v.startedAt, at, v.cancelRequested, v.progress, null, null, e.reason(), v.policy);
        } else if (event instanceof VmEvent.MigrationCancelled) {
            return new MigrationView(v.id, "Cancelled", v.source, v.target, v.targetIncarnation, v.requestedBy,
                    v.requestedAt, v.startedAt, at, true, v.progress, null, null, null, v.policy);
        }
        return v;
    }
}
