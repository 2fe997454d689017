package dev.vireo.kube;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.vireo.api.MigrationRoutes;
import dev.vireo.protocol.api.InvalidManifestException;
import dev.vireo.protocol.api.Json;
import dev.vireo.protocol.api.MigrationView;
import dev.vireo.protocol.vm.MigrationPolicy;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmEvent;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * VirtualMachineMigration ({@code vmim}): creating one migrates its VM live, as {@code POST …/{name}/migrate} does
 * (the same command, the same checks of the target); its status follows the migration's steps. The migration's id
 * is {@code mig-<uid>}, so that after a restart the sync finds the migration it started instead of starting another.
 * Deleting the resource while the migration is under way cancels it.
 */
final class MigrationResource extends OperationResource {

    static final String FINALIZER = "vireo.dev/migration";

    /** The cluster's defaults under the resource's fields, as for {@code POST …/migrate}. */
    private final MigrationPolicy defaults;

    MigrationResource(MigrationPolicy defaults) {
        super("VirtualMachineMigration", "virtualmachinemigrations", FINALIZER);
        this.defaults = defaults;
    }

    /** {@code .spec}: the VM and, as in the HTTP request, an optional target and policy overrides. */
    record Spec(String vmName, String targetNode, Long bandwidthMiBps, Long maxDowntimeMs,
                Long completionTimeoutPerGiBSeconds, Long progressTimeoutSeconds, Boolean autoConverge,
                Boolean postCopy, Long postCopyAfterIterations) {
    }

    /** The phases of {@link MigrationView}. */
    enum Phase { Pending, Scheduled, Running, Succeeded, Failed, Cancelled }

    /** {@code .status}: the migration as {@code GET …/migrations/{id}} shows it, in Kubernetes' words. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Status(Phase phase, String migrationId, String sourceNode, String targetNode, Integer progress,
                  Long iteration, Long dataRemainingBytes, Long downtimeMs, Long durationMs, String requestTimestamp,
                  String startTimestamp, String endTimestamp, String message) {
    }

    static String migrationId(GenericKubernetesResource cr) {
        return "mig-" + cr.getMetadata().getUid();
    }

    @Override
    VmCommand start(GenericKubernetesResource cr, String principal) {
        vmName(cr);
        Map<String, Object> request = new HashMap<>(spec(cr));
        request.remove("vmName");
        MigrationRoutes.Request parsed;
        try {
            parsed = MigrationRoutes.request(Json.mapper().writeValueAsBytes(request), defaults);
        } catch (InvalidManifestException e) {
            String field = "spec." + e.field();
            String message = e.getMessage().startsWith(e.field()) ? field + e.getMessage().substring(e.field().length())
                    : field + ": " + e.getMessage();
            throw new InvalidManifestException(field, message);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return new VmCommand.Migrate(requestId(cr), principal, migrationId(cr), parsed.targetNode(), parsed.policy());
    }

    @Override
    Object status(GenericKubernetesResource cr, List<VmEvent> history) {
        String id = migrationId(cr);
        return MigrationView.of(history).stream().filter(v -> v.id().equals(id)).findFirst()
                .map(MigrationResource::status).orElse(null);
    }

    static Status status(MigrationView v) {
        MigrationView.Progress p = v.progress();
        String message = v.reason() != null ? v.reason()
                : Boolean.TRUE.equals(v.cancelRequested()) && !v.ended() ? "cancel requested" : null;
        return new Status(Phase.valueOf(v.phase()), v.id(), v.source(), v.target(),
                p == null ? (v.phase().equals("Succeeded") ? Integer.valueOf(100) : null) : Integer.valueOf(
                        v.phase().equals("Succeeded") ? 100 : p.percent()),
                p == null ? null : p.iteration(), p == null ? null : p.dataRemaining(), v.downtimeMs(), v.durationMs(),
                v.requestedAt(), v.startedAt(), v.endedAt(), message);
    }

    @Override
    Object failed(String message, Instant at) {
        return new Status(Phase.Failed, null, null, null, null, null, null, null, null, null, null, text(at), message);
    }

    /** A migration under way is cancelled; one that ended (or never started) is left as it is. */
    @Override
    VmCommand onDelete(GenericKubernetesResource cr, Map<String, Object> status, String principal) {
        if (phase(status) == null || ended(status)) {
            return null;
        }
        return new VmCommand.CancelMigration(requestId(cr) + "-cancel", principal, migrationId(cr));
    }
}
