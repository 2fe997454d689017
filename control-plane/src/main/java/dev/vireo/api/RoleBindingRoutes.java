package dev.vireo.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vireo.auth.Authorizer;
import dev.vireo.protocol.api.InvalidManifestException;
import dev.vireo.protocol.api.Json;
import dev.vireo.protocol.api.ManifestValidator;
import dev.vireo.protocol.auth.Role;
import dev.vireo.protocol.auth.RoleBinding;
import dev.vireo.protocol.auth.RoleBindingEvent;
import dev.vireo.protocol.auth.RoleBindings;
import dev.vireo.protocol.auth.Subject;
import dev.vireo.protocol.auth.User;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * {@code /api/v1/namespaces/{ns}/rolebindings[/{name}[/history]]} and {@code /api/v1/clusterrolebindings[…]}:
 * PUT grants (creates or replaces), GET reads, DELETE removes; every change is an event of the bindings' log,
 * with who made it and when ({@code …/history}). Authorization happens before: admin of the namespace, or
 * cluster-admin for the cluster's bindings.
 */
final class RoleBindingRoutes extends AllDirectives {

    private final Authorizer authorizer;

    RoleBindingRoutes(Authorizer authorizer) {
        this.authorizer = authorizer;
    }

    /** The bindings of {@code namespace}, or of the cluster when null. */
    Route route(String namespace, String requestId, User user) {
        return concat(
                pathEndOrSingleSlash(() -> get(() -> completeWithFuture(authorizer.bindings().thenApply(all ->
                        ApiResponses.json(StatusCodes.OK, Map.of("items",
                                all.in(namespace).stream().map(RoleBindingRoutes::view).toList())))))),
                pathPrefix(PathMatchers.segment(), name -> concat(
                        pathEndOrSingleSlash(() -> concat(
                                get(() -> completeWithFuture(authorizer.bindings().thenApply(all ->
                                        all.get(namespace, name).map(b -> ApiResponses.json(StatusCodes.OK, view(b)))
                                                .orElseGet(() -> notFound(namespace, name))))),
                                put(() -> entity(Unmarshaller.entityToByteString(), body -> {
                                    RoleBinding binding = parse(namespace, name, body.toArray());
                                    return completeWithFuture(authorizer.grant(binding, requestId, user.name())
                                            .thenApply(changed -> ApiResponses.json(changed.existed()
                                                    ? StatusCodes.OK : StatusCodes.CREATED, view(binding))));
                                })),
                                delete(() -> completeWithFuture(authorizer.remove(namespace, name, requestId, user.name())
                                        .thenApply(changed -> changed.existed()
                                                ? ApiResponses.json(StatusCodes.OK, Map.of("kind", "Status",
                                                "status", "Success", "message", kind(namespace) + " "
                                                        + RoleBinding.key(namespace, name) + " removed; its history is kept"))
                                                : notFound(namespace, name)))))),
                        path("history", () -> get(() -> completeWithFuture(authorizer.bindings().thenApply(all ->
                                history(all, namespace, name))))))));
    }

    private static HttpResponse history(RoleBindings all, String namespace, String name) {
        List<RoleBindingEvent> events = all.historyOf(namespace, name);
        if (events.isEmpty()) {
            return ApiResponses.error(StatusCodes.NOT_FOUND, "NotFound", kind(namespace) + " "
                    + RoleBinding.key(namespace, name) + " has no history: it never existed", null);
        }
        List<Map<String, Object>> items = new ArrayList<>();
        for (RoleBindingEvent e : events) {
            Map<String, Object> item = new java.util.LinkedHashMap<>();
            item.put("timestamp", e.meta().timestamp().toString());
            item.put("type", RoleBindingEvent.typeOf(e));
            item.put("principal", e.meta().principal());
            item.put("requestId", e.meta().requestId());
            item.put("data", e instanceof RoleBindingEvent.RoleBindingGranted g ? view(g.binding()) : Map.of());
            items.add(item);
        }
        return ApiResponses.json(StatusCodes.OK, Map.of("items", items));
    }

    private static String kind(String namespace) {
        return namespace == null ? "clusterrolebinding" : "rolebinding";
    }

    private static HttpResponse notFound(String namespace, String name) {
        return ApiResponses.error(StatusCodes.NOT_FOUND, "NotFound", kind(namespace) + " "
                + RoleBinding.key(namespace, name) + " does not exist", null);
    }

    static Map<String, Object> view(RoleBinding b) {
        Map<String, Object> metadata = new java.util.LinkedHashMap<>();
        metadata.put("name", b.name());
        if (b.namespace() != null) {
            metadata.put("namespace", b.namespace());
        }
        return Map.of("kind", b.clusterWide() ? "ClusterRoleBinding" : "RoleBinding", "metadata", metadata,
                "role", b.role().apiName(), "subjects", b.subjects());
    }

    /** {@code {"role": "editor", "subjects": [{"kind": "User", "name": "alice"}]}}, checked field by field. */
    static RoleBinding parse(String namespace, String name, byte[] body) {
        if (namespace != null) {
            ManifestValidator.checkName("metadata.namespace", namespace);
        }
        ManifestValidator.checkName("metadata.name", name);
        JsonNode json;
        try {
            json = Json.input(false).readTree(body);
        } catch (IOException e) {
            throw new InvalidManifestException("", "the body is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (json == null || !json.isObject()) {
            throw new InvalidManifestException("", "give the binding as {\"role\": \"viewer|editor|admin\","
                    + " \"subjects\": [{\"kind\": \"User|Group\", \"name\": \"…\"}]}");
        }
        String givenName = json.at("/metadata/name").asText(null);
        if (givenName != null && !givenName.equals(name)) {
            throw new InvalidManifestException("metadata.name", "metadata.name " + givenName
                    + " does not match the URL's " + name);
        }
        String roleName = json.path("role").asText(null);
        Role role = Role.find(roleName).orElseThrow(() -> new InvalidManifestException("role",
                "role " + (roleName == null ? "is missing" : "\"" + roleName + "\" does not exist") + ": "
                        + (namespace == null ? "cluster roles are cluster-viewer and cluster-admin"
                        : "namespace roles are viewer, editor and admin")));
        if (role.cluster() != (namespace == null)) {
            throw new InvalidManifestException("role", namespace == null
                    ? "a clusterrolebinding binds cluster-viewer or cluster-admin, not " + role.apiName()
                    : role.apiName() + " is a cluster role: bind it with /api/v1/clusterrolebindings/{name};"
                    + " namespace roles are viewer, editor and admin");
        }
        JsonNode subjects = json.path("subjects");
        if (!subjects.isArray() || subjects.isEmpty()) {
            throw new InvalidManifestException("subjects", "subjects must list at least one"
                    + " {\"kind\": \"User|Group\", \"name\": \"…\"}");
        }
        List<Subject> parsed = new ArrayList<>();
        for (int i = 0; i < subjects.size(); i++) {
            JsonNode s = subjects.get(i);
            String kind = s.path("kind").asText("");
            String who = s.path("name").asText("").strip();
            if (!kind.equals(Subject.USER) && !kind.equals(Subject.GROUP)) {
                throw new InvalidManifestException("subjects[" + i + "].kind", "kind \"" + kind
                        + "\" is neither User nor Group");
            }
            if (who.isEmpty() || who.length() > 253) {
                throw new InvalidManifestException("subjects[" + i + "].name", "name must be 1 to 253 characters");
            }
            parsed.add(new Subject(kind, who));
        }
        return new RoleBinding(namespace, name, role, parsed);
    }
}
