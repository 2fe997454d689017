package dev.vireo.api;

import dev.vireo.metrics.VireoMetrics;
import dev.vireo.protocol.api.InvalidManifestException;
import dev.vireo.protocol.api.ManifestParser;
import dev.vireo.protocol.api.ManifestValidator;
import dev.vireo.protocol.api.VirtualMachineManifest;
import dev.vireo.protocol.api.VirtualMachineView;
import dev.vireo.protocol.api.VirtualMachineViews;
import dev.vireo.protocol.vm.Rejection;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.vm.VirtualMachineEntity;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/** CRUD and actions on VirtualMachines: translates HTTP into commands and replies into the API's shapes. */
final class VirtualMachineRoutes extends AllDirectives {

    static final String PRINCIPAL = "anonymous";

    private final VirtualMachines vms;
    private final VireoMetrics metrics;
    private final ImagePaths images;

    VirtualMachineRoutes(VirtualMachines vms, VireoMetrics metrics, ImagePaths images) {
        this.vms = vms;
        this.metrics = metrics;
        this.images = images;
    }

    /** Routes under {@code /api/v1/namespaces/{ns}/virtualmachines}. */
    Route route(String namespace, String requestId, Function<VmId, Route> perVmExtras) {
        return concat(
                pathEndOrSingleSlash(() -> concat(
                        get(() -> completeWithFuture(vms.list(namespace).thenApply(states -> ApiResponses.json(
                                StatusCodes.OK, Map.of("items", states.stream().map(VirtualMachineViews::of).toList()))))),
                        post(() -> body((bytes, type) -> create(namespace, bytes, type, requestId))))),
                pathPrefix(PathMatchers.segment(), name -> {
                    VmId id = new VmId(namespace, name);
                    return concat(
                            pathEndOrSingleSlash(() -> concat(
                                    get(() -> completeWithFuture(vms.get(id).thenApply(state -> state.exists()
                                            ? ApiResponses.json(StatusCodes.OK, VirtualMachineViews.of(state))
                                            : ApiResponses.rejected(Rejection.notFound(id))))),
                                    put(() -> body((bytes, type) -> replace(id, bytes, type, requestId))),
                                    delete(() -> completeWithFuture(vms.execute(id, new VmCommand.Delete(requestId,
                                            PRINCIPAL)).thenApply(reply -> deleted(id, reply)))))),
                            perVmExtras.apply(id),
                            path(PathMatchers.segment(), action -> post(() -> action(id, action, requestId))));
                }));
    }

    private Route body(java.util.function.BiFunction<byte[], String, Route> inner) {
        return extractRequest(request -> entity(Unmarshaller.entityToByteString(), bytes ->
                inner.apply(bytes.toArray(), request.entity().getContentType().mediaType().toString())));
    }

    private Route create(String namespace, byte[] body, String contentType, String requestId) {
        ManifestValidator.checkName("metadata.namespace", namespace);
        VirtualMachineManifest manifest = ManifestParser.manifest(body, contentType);
        VirtualMachineSpec validated = ManifestValidator.validate(manifest, namespace, null);
        VmId id = new VmId(namespace, manifest.metadata().name());
        return completeWithFuture(images.checked(validated).thenCompose(spec -> reply(vms.execute(id,
                new VmCommand.Create(requestId, PRINCIPAL, UUID.randomUUID().toString(), labels(manifest), spec)),
                StatusCodes.CREATED)));
    }

    private Route replace(VmId id, byte[] body, String contentType, String requestId) {
        VirtualMachineManifest manifest = ManifestParser.manifest(body, contentType);
        VirtualMachineSpec validated = ManifestValidator.validate(manifest, id.namespace(), id.name());
        return completeWithFuture(images.checked(validated).thenCompose(spec -> reply(vms.execute(id,
                new VmCommand.UpdateSpec(requestId, PRINCIPAL, labels(manifest), spec,
                        manifest.metadata().resourceVersion())), StatusCodes.OK)));
    }

    private Route action(VmId id, String action, String requestId) {
        return parameterOptional("force", force -> {
            VmCommand command = switch (action) {
                case "start" -> new VmCommand.Start(requestId, PRINCIPAL);
                case "stop" -> new VmCommand.Stop(requestId, PRINCIPAL, force.map(VirtualMachineRoutes::flag).orElse(false));
                case "restart" -> new VmCommand.Restart(requestId, PRINCIPAL);
                case "pause" -> new VmCommand.Pause(requestId, PRINCIPAL);
                case "unpause" -> new VmCommand.Unpause(requestId, PRINCIPAL);
                default -> null;
            };
            if (command == null) {
                if (action.equals("migrate") || action.equals("restore")) {
                    return complete(ApiResponses.error(StatusCodes.NOT_IMPLEMENTED, "NotSupported",
                            action + " is not available yet in this version of Vireo", null));
                }
                return complete(ApiResponses.error(StatusCodes.NOT_FOUND, "NotFound", "unknown action \"" + action
                        + "\"; actions are start, stop, restart, pause, unpause, migrate, restore", null));
            }
            return completeWithFuture(reply(vms.execute(id, command), StatusCodes.ACCEPTED));
        });
    }

    private CompletionStage<HttpResponse> reply(CompletionStage<VirtualMachineEntity.Reply> reply, StatusCode ok) {
        return reply.thenApply(r -> {
            if (r instanceof VirtualMachineEntity.Refused refused) {
                metrics.commandRefused();
                return ApiResponses.rejected(refused.rejection());
            }
            return ApiResponses.json(ok, VirtualMachineViews.of(((VirtualMachineEntity.Accepted) r).state()));
        });
    }

    private static HttpResponse deleted(VmId id, VirtualMachineEntity.Reply reply) {
        if (reply instanceof VirtualMachineEntity.Refused refused) {
            return ApiResponses.rejected(refused.rejection());
        }
        var state = ((VirtualMachineEntity.Accepted) reply).state();
        if (state.exists()) {
            // still stopping: it is deleted once its domain is gone
            VirtualMachineView view = VirtualMachineViews.of(state);
            return ApiResponses.json(StatusCodes.ACCEPTED, view);
        }
        return ApiResponses.json(StatusCodes.OK, Map.of("kind", "Status", "status", "Success",
                "message", "virtualmachine " + id + " deleted; its history is kept"));
    }

    /** A typo must not turn a hard stop into a graceful one: only true and false are understood. */
    private static boolean flag(String value) {
        if (value.equalsIgnoreCase("true") || value.isEmpty()) {
            return true;
        }
        if (value.equalsIgnoreCase("false")) {
            return false;
        }
        throw new InvalidManifestException("force", "force=" + value + " is not a boolean: use force=true or force=false");
    }

    private static Map<String, String> labels(VirtualMachineManifest manifest) {
        return manifest.metadata().labels() == null ? Map.of() : manifest.metadata().labels();
    }

}
