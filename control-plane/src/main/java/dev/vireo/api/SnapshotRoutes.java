package dev.vireo.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vireo.protocol.api.InvalidManifestException;
import dev.vireo.protocol.api.Json;
import dev.vireo.protocol.api.Limits;
import dev.vireo.protocol.api.ManifestValidator;
import dev.vireo.protocol.api.SnapshotView;
import dev.vireo.protocol.vm.Rejection;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmState;
import dev.vireo.vm.VirtualMachineEntity;
import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * Snapshots of one VM: {@code POST …/{name}/snapshots {"name", "memory"}} and {@code POST …/{name}/restore
 * {"snapshot"}} answer 202 (the VM's node does the work; {@code GET …/snapshots/{snap}} says how it went),
 * {@code GET …/snapshots[/{snap}]} shows them as the VM's state holds them, {@code DELETE …/snapshots/{snap}}
 * deletes one.
 */
final class SnapshotRoutes extends AllDirectives {

    private final VirtualMachines vms;

    SnapshotRoutes(VirtualMachines vms) {
        this.vms = vms;
    }

    Route route(VmId id, String requestId, String principal) {
        return concat(
                path("restore", () -> post(() -> entity(Unmarshaller.entityToByteString(), bytes -> {
                    String snapshot = field(body(bytes.toArray(), Set.of("snapshot")), "snapshot");
                    return completeWithFuture(accepted(id, new VmCommand.RestoreSnapshot(requestId,
                            principal, snapshot), snapshot, "restore requested"));
                }))),
                pathPrefix("snapshots", () -> concat(
                        pathEndOrSingleSlash(() -> concat(
                                get(() -> completeWithFuture(existing(id, state -> ApiResponses.json(StatusCodes.OK,
                                        Map.of("kind", "VirtualMachineSnapshotList",
                                                "items", SnapshotView.of(id, state.snapshots())))))),
                                post(() -> entity(Unmarshaller.entityToByteString(), bytes -> {
                                    JsonNode json = body(bytes.toArray(), Set.of("name", "memory"));
                                    String name = field(json, "name");
                                    boolean memory = memory(json);
                                    return completeWithFuture(accepted(id, new VmCommand.TakeSnapshot(requestId,
                                            principal, name, memory), name, "snapshot requested"));
                                })))),
                        path(PathMatchers.segment(), snap -> concat(
                                get(() -> completeWithFuture(existing(id, state -> state.snapshots().find(snap)
                                        .map(s -> ApiResponses.json(StatusCodes.OK, SnapshotView.of(id, s,
                                                state.snapshots())))
                                        .orElseGet(() -> ApiResponses.rejected(unknown(id, snap)))))),
                                delete(() -> completeWithFuture(vms.execute(id, new VmCommand.DeleteSnapshot(requestId,
                                        principal, snap)).thenApply(reply ->
                                        reply instanceof VirtualMachineEntity.Refused refused
                                                ? ApiResponses.rejected(refused.rejection())
                                                : ApiResponses.json(StatusCodes.OK, Map.of("kind", SnapshotView.KIND,
                                                "name", snap, "status", "deleted"))))))))));
    }

    private static Rejection unknown(VmId id, String snap) {
        return new Rejection(Rejection.Code.NotFound, "virtualmachine " + id + " has no snapshot " + snap
                + "; GET …/snapshots lists them", null);
    }

    private CompletionStage<HttpResponse> existing(VmId id, Function<VmState, HttpResponse> view) {
        return vms.get(id).thenApply(state -> state.exists() ? view.apply(state)
                : ApiResponses.rejected(Rejection.notFound(id)));
    }

    private CompletionStage<HttpResponse> accepted(VmId id, VmCommand command, String snapshot, String what) {
        return vms.execute(id, command).thenApply(reply -> {
            if (reply instanceof VirtualMachineEntity.Refused refused) {
                return ApiResponses.rejected(refused.rejection());
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("kind", SnapshotView.KIND);
            body.put("name", snapshot);
            body.put("virtualMachine", id.entityId());
            body.put("requestId", command.requestId());
            body.put("status", what);
            body.put("self", "/api/v1/namespaces/" + id.namespace() + "/virtualmachines/" + id.name() + "/snapshots/"
                    + snapshot);
            return ApiResponses.json(StatusCodes.ACCEPTED, body);
        });
    }

    /** The body as a JSON object of only the {@code known} fields; 400 naming what is wrong. */
    static JsonNode body(byte[] bytes, Set<String> known) {
        JsonNode json;
        try {
            json = bytes.length == 0 ? null : Json.input(false).readTree(bytes);
        } catch (IOException e) {
            throw new InvalidManifestException("body", "the body is not JSON: " + Limits.shown(e.getMessage()));
        }
        if (json == null || !json.isObject()) {
            throw new InvalidManifestException("body", "give an object, e.g. {\"" + known.iterator().next()
                    + "\": \"s1\"}");
        }
        for (Iterator<String> names = json.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                String shown = name.length() <= 64 ? name : name.substring(0, 64) + "…";
                throw new InvalidManifestException(shown, "unknown field " + shown + "; this request knows "
                        + String.join(", ", known.stream().sorted().toList()));
            }
        }
        return json;
    }

    /** A snapshot's name: a DNS-1123 label, like the VM's (it names files on the node). */
    static String field(JsonNode json, String field) {
        JsonNode value = json.get(field);
        if (value != null && !value.isNull() && !value.isTextual()) {
            throw new InvalidManifestException(field, field + " must be a snapshot's name (text), was "
                    + Limits.shown(value.toString()));
        }
        String name = value == null || value.isNull() ? null : value.asText();
        ManifestValidator.checkName(field, name);
        return name;
    }

    static boolean memory(JsonNode json) {
        JsonNode value = json.get("memory");
        if (value == null || value.isNull()) {
            return false;
        }
        if (!value.isBoolean()) {
            throw new InvalidManifestException("memory", "memory must be true or false, was " + Limits.shown(value.toString()));
        }
        return value.asBoolean();
    }
}
