package dev.vireo.api;

import dev.vireo.metrics.VireoMetrics;
import dev.vireo.protocol.api.InvalidManifestException;
import dev.vireo.protocol.api.Limits;
import dev.vireo.protocol.api.LabelSelector;
import dev.vireo.protocol.api.ManifestParser;
import dev.vireo.protocol.api.ManifestValidator;
import dev.vireo.protocol.api.ObjectMeta;
import dev.vireo.protocol.api.VirtualMachineManifest;
import dev.vireo.protocol.api.VirtualMachineView;
import dev.vireo.protocol.api.VirtualMachineViews;
import dev.vireo.protocol.auth.User;
import dev.vireo.protocol.vm.Rejection;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.vm.VirtualMachineEntity;
import dev.vireo.vm.VmListFreshness;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.util.ByteString;

/** CRUD and actions on VirtualMachines: translates HTTP into commands and replies into the API's shapes. */
final class VirtualMachineRoutes extends AllDirectives {

    private final VirtualMachines vms;
    private final VireoMetrics metrics;
    private final ImagePaths images;

    VirtualMachineRoutes(VirtualMachines vms, VireoMetrics metrics, ImagePaths images) {
        this.vms = vms;
        this.metrics = metrics;
        this.images = images;
    }

    /** Routes under {@code /api/v1/namespaces/{ns}/virtualmachines}. */
    Route route(String namespace, String requestId, User user, Function<VmId, Route> perVmExtras) {
        String principal = user.name();
        return concat(
                pathEndOrSingleSlash(() -> concat(
                        list(namespace, null),
                        post(() -> body((bytes, type) -> create(namespace, bytes, type, requestId, principal))))),
                pathPrefix(PathMatchers.segment(), name -> {
                    // no VM can have another name: a 400, rather than an entity started for any string
                    ManifestValidator.checkName("name", name);
                    VmId id = new VmId(namespace, name);
                    return concat(
                            pathEndOrSingleSlash(() -> concat(
                                    get(() -> completeWithFuture(vms.get(id).thenApply(state -> state.exists()
                                            ? ApiResponses.json(StatusCodes.OK, VirtualMachineViews.of(state))
                                            : ApiResponses.rejected(Rejection.notFound(id))))),
                                    put(() -> body((bytes, type) -> replace(id, bytes, type, requestId, principal))),
                                    delete(() -> completeWithFuture(vms.execute(id, new VmCommand.Delete(requestId,
                                            principal)).thenApply(reply -> deleted(id, reply)))))),
                            perVmExtras.apply(id),
                            path(PathMatchers.segment(), action -> post(() -> action(id, action, requestId, principal))));
                }));
    }

    /**
     * {@code GET} of a list: the VMs of {@code namespace} (of every namespace when null), from the VM list;
     * {@code ?limit=N} pages (the next page's token in {@code metadata.continue}, given back as
     * {@code ?continue=}), {@code ?labelSelector=} filters; {@code onlyNamespaces} (null: all) are the
     * namespaces the caller may read.
     */
    Route list(String namespace, java.util.Set<String> onlyNamespaces) {
        return get(() -> parameterOptional("limit", limit -> parameterOptional("continue", token ->
                parameterOptional("labelSelector", selector -> {
                    int max = limit.map(VirtualMachineRoutes::limit).orElse(0);
                    VmId after = token.filter(t -> !t.isEmpty()).map(t -> ContinueToken.read(t, namespace)).orElse(null);
                    return completeWithFuture(vms.list(namespace, onlyNamespaces, LabelSelector.parse(selector.orElse(null)), max, after)
                            .thenApply(VirtualMachineRoutes::listed)
                            .exceptionally(VirtualMachineRoutes::listBehind));
                }))));
    }

    /** {@code {"apiVersion", "kind", "metadata": {"resourceVersion", "continue"}, "items": [...]}}, the views as stored. */
    private static HttpResponse listed(VirtualMachines.Page page) {
        ByteString json = ByteString.fromString("{\"apiVersion\":\"" + VirtualMachineManifest.API_VERSION
                + "\",\"kind\":\"VirtualMachineList\",\"metadata\":{\"resourceVersion\":\"" + page.resourceVersion() + "\""
                + (page.continueAfter() == null ? "" : ",\"continue\":\"" + ContinueToken.after(page.continueAfter()) + "\"")
                + "},\"items\":[");
        for (int i = 0; i < page.views().size(); i++) {
            // joined, not copied: the views are sent as the VM list holds them
            json = json.concat(i == 0 ? ByteString.fromArrayUnsafe(page.views().get(i))
                    : COMMA.concat(ByteString.fromArrayUnsafe(page.views().get(i))));
        }
        return HttpResponse.create().withStatus(StatusCodes.OK)
                .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, json.concat(END)));
    }

    private static final ByteString COMMA = ByteString.fromString(",");
    private static final ByteString END = ByteString.fromString("]}");

    private static HttpResponse listBehind(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof VmListFreshness.Behind behind) {
            return ApiResponses.error(StatusCodes.SERVICE_UNAVAILABLE, "Timeout", behind.getMessage(), null);
        }
        throw cause instanceof RuntimeException e ? e : new CompletionException(cause);
    }

    private static int limit(String value) {
        try {
            int limit = Integer.parseInt(value.trim());
            if (limit >= 0) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new InvalidManifestException("limit", "limit=" + Limits.shown(value) + " is not a number of VMs: give a whole number"
                + " from 1 (or 0, or leave it out, for all)");
    }

    private Route body(java.util.function.BiFunction<byte[], String, Route> inner) {
        return extractRequest(request -> entity(Unmarshaller.entityToByteString(), bytes ->
                inner.apply(bytes.toArray(), request.entity().getContentType().mediaType().toString())));
    }

    private Route create(String namespace, byte[] body, String contentType, String requestId, String principal) {
        ManifestValidator.checkName("metadata.namespace", namespace);
        VirtualMachineManifest manifest = ManifestParser.manifest(body, contentType);
        VirtualMachineSpec validated = ManifestValidator.validate(manifest, namespace, null);
        VmId id = new VmId(namespace, manifest.metadata().name());
        return completeWithFuture(setByVireoChecked(id, manifest, false)
                .thenCompose(unused -> images.checked(validated))
                .thenCompose(spec -> reply(vms.execute(id, new VmCommand.Create(requestId, principal,
                        UUID.randomUUID().toString(), labels(manifest), spec)), StatusCodes.CREATED)));
    }

    private Route replace(VmId id, byte[] body, String contentType, String requestId, String principal) {
        VirtualMachineManifest manifest = ManifestParser.manifest(body, contentType);
        VirtualMachineSpec validated = ManifestValidator.validate(manifest, id.namespace(), id.name());
        return completeWithFuture(setByVireoChecked(id, manifest, true)
                .thenCompose(unused -> images.checked(validated))
                .thenCompose(spec -> reply(vms.execute(id, new VmCommand.UpdateSpec(requestId, principal,
                        labels(manifest), spec, manifest.metadata().resourceVersion())), StatusCodes.OK)));
    }

    /**
     * A manifest read back from Vireo carries the metadata Vireo set: checked against the VM, never dropped. A
     * create of a VM that exists goes on to its entity (409, as for any create of an existing name); a replace
     * of a VM that does not goes on too (404); {@code resourceVersion} of a replace is the entity's precondition.
     */
    private CompletionStage<Void> setByVireoChecked(VmId id, VirtualMachineManifest manifest, boolean replace) {
        ObjectMeta meta = manifest.metadata();
        if (!ManifestValidator.carriesSetByVireo(meta)
                || replace && meta.uid() == null && meta.generation() == null && meta.creationTimestamp() == null) {
            return CompletableFuture.completedFuture(null);
        }
        return vms.get(id).thenAccept(state -> {
            if (state.exists() != replace) {
                return;
            }
            ManifestValidator.checkSetByVireo(meta, state);
        });
    }

    private Route action(VmId id, String action, String requestId, String principal) {
        return parameterOptional("force", force -> {
            VmCommand command = switch (action) {
                case "start" -> new VmCommand.Start(requestId, principal);
                case "stop" -> new VmCommand.Stop(requestId, principal, force.map(VirtualMachineRoutes::flag).orElse(false));
                case "restart" -> new VmCommand.Restart(requestId, principal);
                case "pause" -> new VmCommand.Pause(requestId, principal);
                case "unpause" -> new VmCommand.Unpause(requestId, principal);
                default -> null;
            };
            if (command == null) {
                if (action.equals("restore")) {
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
        throw new InvalidManifestException("force", "force=" + Limits.shown(value) + " is not a boolean: use force=true or force=false");
    }

    private static Map<String, String> labels(VirtualMachineManifest manifest) {
        return manifest.metadata().labels() == null ? Map.of() : manifest.metadata().labels();
    }

}
