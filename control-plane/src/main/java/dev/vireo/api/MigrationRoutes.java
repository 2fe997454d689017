package dev.vireo.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vireo.persistence.EventLog;
import dev.vireo.persistence.StoredEvent;
import dev.vireo.protocol.api.InvalidManifestException;
import dev.vireo.protocol.api.Limits;
import dev.vireo.protocol.api.Json;
import dev.vireo.protocol.api.MigrationView;
import dev.vireo.protocol.vm.MigrationPolicy;
import dev.vireo.protocol.vm.Phase;
import dev.vireo.protocol.vm.Rejection;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmState;
import dev.vireo.scheduler.Scheduler;
import dev.vireo.vm.VirtualMachineEntity;
import java.io.IOException;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * Live migration of one VM: {@code POST …/{name}/migrate} (optional {@code targetNode} and policy overrides) answers
 * 202 with the migration's id; {@code GET …/{name}/migrations[/{id}]} shows them from the VM's history;
 * {@code DELETE …/{name}/migrations/{id}} cancels one in flight.
 */
public final class MigrationRoutes extends AllDirectives {

    private static final Set<String> FIELDS = Set.of("targetNode", "bandwidthMiBps", "maxDowntimeMs",
            "completionTimeoutPerGiBSeconds", "progressTimeoutSeconds", "autoConverge", "postCopy",
            "postCopyAfterIterations");

    private final VirtualMachines vms;
    private final EventLog eventLog;
    private final ActorRef<Scheduler.Command> scheduler;
    private final ActorSystem<?> system;
    private final Duration timeout;
    /** The cluster's defaults (vireo.migration: post-copy, post-copy-after-iterations) under each request's fields. */
    private final MigrationPolicy defaults;

    MigrationRoutes(VirtualMachines vms, EventLog eventLog, ActorRef<Scheduler.Command> scheduler,
                    ActorSystem<?> system, Duration timeout) {
        this.vms = vms;
        this.eventLog = eventLog;
        this.scheduler = scheduler;
        this.system = system;
        this.timeout = timeout;
        this.defaults = defaults(system.settings().config());
    }

    /** The cluster's defaults (vireo.migration: post-copy, post-copy-after-iterations) under each request's fields. */
    public static MigrationPolicy defaults(com.typesafe.config.Config config) {
        com.typesafe.config.Config migration = config.getConfig("vireo.migration");
        MigrationPolicy d = MigrationPolicy.DEFAULT;
        return new MigrationPolicy(d.bandwidthMiBps(), d.maxDowntimeMs(), d.completionTimeoutPerGiBSeconds(),
                d.progressTimeoutSeconds(), d.autoConverge(), migration.getBoolean("post-copy"),
                Math.max(1, migration.getLong("post-copy-after-iterations")));
    }

    /**
     * A post-copy request where vireo.migration.post-copy-allowed is off (every node's QEMU must be allowed userfaultfd,
     * docs/migration.md, "Post-copy"): refused, naming postCopy; else null.
     */
    public static Rejection whyNotPolicy(com.typesafe.config.Config config, Request request) {
        return request.policy().postCopy() && !config.getBoolean("vireo.migration.post-copy-allowed")
                ? new Rejection(Rejection.Code.IllegalTransition, POST_COPY_REFUSED, "postCopy") : null;
    }

    Route route(VmId id, String requestId, String principal) {
        return concat(
                path("migrate", () -> post(() -> entity(Unmarshaller.entityToByteString(), bytes ->
                        completeWithFuture(migrate(id, request(bytes.toArray(), defaults), requestId, principal))))),
                pathPrefix("migrations", () -> concat(
                        pathEndOrSingleSlash(() -> get(() -> completeWithFuture(views(id).thenApply(views ->
                                ApiResponses.json(StatusCodes.OK, Map.of("kind", "VirtualMachineMigrationList",
                                        "items", views)))))),
                        path(PathMatchers.segment(), migration -> concat(
                                get(() -> completeWithFuture(views(id).thenApply(views -> views.stream()
                                        .filter(v -> v.id().equals(migration)).findFirst()
                                        .map(v -> ApiResponses.json(StatusCodes.OK, v))
                                        .orElseGet(() -> notFound(id, migration))))),
                                delete(() -> completeWithFuture(vms.execute(id, new VmCommand.CancelMigration(requestId,
                                        principal, migration)).thenApply(reply ->
                                        reply instanceof VirtualMachineEntity.Refused refused
                                                ? ApiResponses.rejected(refused.rejection())
                                                : ApiResponses.json(StatusCodes.ACCEPTED, Map.of("migrationId",
                                                migration, "status", "cancel requested"))))))))));
    }

    private static HttpResponse notFound(VmId id, String migration) {
        return ApiResponses.error(StatusCodes.NOT_FOUND, "NotFound", "virtualmachine " + id + " has no migration "
                + migration + "; GET …/migrations lists them", null);
    }

    private CompletionStage<List<MigrationView>> views(VmId id) {
        return eventLog.history(id).thenApply(events -> MigrationView.of(events.stream().map(StoredEvent::event).toList()));
    }

    /** What a migrate request asks: the target (null: the scheduler's choice) and the policy over the defaults. */
    public record Request(String targetNode, MigrationPolicy policy) {
    }

    /** Parses the body over {@link MigrationPolicy#DEFAULT}; 400 naming the field that is wrong. */
    public static Request request(byte[] body) {
        return request(body, MigrationPolicy.DEFAULT);
    }

    /** Parses the body ({} or empty: {@code d}, the cluster's defaults); 400 naming the field that is wrong. */
    public static Request request(byte[] body, MigrationPolicy d) {
        if (body.length == 0 || new String(body).isBlank()) {
            return new Request(null, d);
        }
        JsonNode json;
        try {
            json = Json.input(false).readTree(body);
        } catch (IOException e) {
            throw new InvalidManifestException("body", "the body is not JSON: " + Limits.shown(e.getMessage()));
        }
        if (!json.isObject()) {
            throw new InvalidManifestException("body", "give an object: {\"targetNode\": \"node-b\"}, or nothing");
        }
        for (Iterator<String> names = json.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                String shown = name.length() <= 64 ? name : name.substring(0, 64) + "…";
                throw new InvalidManifestException(shown, "unknown field " + shown + "; a migrate request knows "
                        + String.join(", ", FIELDS.stream().sorted().toList()));
            }
        }
        String target = null;
        if (json.hasNonNull("targetNode")) {
            if (!json.get("targetNode").isTextual() || json.get("targetNode").asText().isBlank()
                    || json.get("targetNode").asText().length() > 253) {
                throw new InvalidManifestException("targetNode", "targetNode must be a node's name (at most 253"
                        + " characters)");
            }
            target = json.get("targetNode").asText();
        }
        MigrationPolicy policy = new MigrationPolicy(
                number(json, "bandwidthMiBps", d.bandwidthMiBps(), 0),
                number(json, "maxDowntimeMs", d.maxDowntimeMs(), 1),
                number(json, "completionTimeoutPerGiBSeconds", d.completionTimeoutPerGiBSeconds(), 1),
                number(json, "progressTimeoutSeconds", d.progressTimeoutSeconds(), 1),
                flag(json, "autoConverge", d.autoConverge()),
                flag(json, "postCopy", d.postCopy()),
                number(json, "postCopyAfterIterations", d.switchToPostCopyAfter(), 1));
        return new Request(target, policy);
    }

    private static long number(JsonNode json, String field, long otherwise, long min) {
        JsonNode value = json.get(field);
        if (value == null || value.isNull()) {
            return otherwise;
        }
        if (!value.canConvertToLong() || !value.isIntegralNumber() || value.asLong() < min) {
            throw new InvalidManifestException(field, field + " must be a whole number from " + min + ", was "
                    + Limits.shown(value.toString()));
        }
        return value.asLong();
    }

    private static boolean flag(JsonNode json, String field, boolean otherwise) {
        JsonNode value = json.get(field);
        if (value == null || value.isNull()) {
            return otherwise;
        }
        if (!value.isBoolean()) {
            throw new InvalidManifestException(field, field + " must be true or false, was " + Limits.shown(value.toString()));
        }
        return value.asBoolean();
    }

    /**
     * Checks what the VM's entity cannot know (is the named node there, not cordoned, with room and the same base
     * images?), then asks the entity, which refuses what its state does not allow.
     */
    private CompletionStage<HttpResponse> migrate(VmId id, Request request, String requestId, String principal) {
        Rejection policy = whyNotPolicy(system.settings().config(), request);
        if (policy != null) {
            return CompletableFuture.completedFuture(ApiResponses.rejected(policy));
        }
        String migrationId = "mig-" + UUID.randomUUID().toString().substring(0, 8);
        return vms.get(id).thenCompose(state -> whyNotTarget(scheduler, system, timeout, id, state, request)
                .thenCompose(refusal -> {
                    if (refusal != null) {
                        return CompletableFuture.completedFuture(ApiResponses.rejected(refusal));
                    }
                    return vms.execute(id, new VmCommand.Migrate(requestId, principal, migrationId,
                            request.targetNode(), request.policy())).thenApply(reply -> {
                        if (reply instanceof VirtualMachineEntity.Refused refused) {
                            return ApiResponses.rejected(refused.rejection());
                        }
                        Map<String, Object> body = new LinkedHashMap<>();
                        body.put("kind", "VirtualMachineMigration");
                        body.put("migrationId", migrationId);
                        body.put("vm", id.entityId());
                        body.put("source", state.node());
                        if (request.targetNode() != null) {
                            body.put("targetNode", request.targetNode());
                        }
                        body.put("status", "/api/v1/namespaces/" + id.namespace() + "/virtualmachines/" + id.name()
                                + "/migrations/" + migrationId);
                        return ApiResponses.json(StatusCodes.ACCEPTED, body);
                    });
                }));
    }

    /**
     * Why the scheduler says the requested target cannot take the VM (unknown: NotFound naming targetNode;
     * cordoned, full, other images: IllegalTransition), or null when it can or there is nothing to ask (no target
     * named, or a VM the entity refuses anyway with its own reason). The HTTP route and the Kubernetes sync both ask,
     * after {@link #whyNotPolicy}.
     */
    public static CompletionStage<Rejection> whyNotTarget(ActorRef<Scheduler.Command> scheduler, ActorSystem<?> system,
                                                          Duration timeout, VmId id, VmState state, Request request) {
        if (request.targetNode() == null || !canCheck(state, request)) {
            return CompletableFuture.completedFuture(null);
        }
        VirtualMachineSpec spec = state.spec();
        return AskPattern.ask(scheduler, (ActorRef<Scheduler.TargetCheck> replyTo) -> new Scheduler.CheckMigrationTarget(
                state.node(), request.targetNode(), spec.cores(), spec.memoryBytes(), spec.nodeSelector(),
                spec.imageFiles(), replyTo), timeout, system.scheduler()).thenApply(answer -> {
            if (answer.unknown()) {
                return new Rejection(Rejection.Code.NotFound, "cannot migrate virtualmachine " + id + ": "
                        + answer.reason(), "targetNode");
            }
            return answer.reason() == null ? null : Rejection.illegal("cannot migrate virtualmachine " + id
                    + " to node " + request.targetNode() + ": " + answer.reason());
        });
    }

    static final String POST_COPY_REFUSED = "post-copy is not allowed in this cluster: the target's QEMU must be"
            + " allowed userfaultfd, which QEMU 7.2 run by libvirt as an unprivileged user is not while the host's"
            + " sysctl vm.unprivileged_userfaultfd is 0; once every node allows it, set vireo.migration.post-copy-allowed"
            + " = true (docs/migration.md, \"Post-copy\"); leave postCopy out (or false) to migrate pre-copy";

    /** Only a Running VM on another node is worth asking about; the entity refuses the rest with its own reason. */
    private static boolean canCheck(VmState state, Request request) {
        return state.exists() && state.phase() == Phase.Running && !request.targetNode().equals(state.node());
    }
}
