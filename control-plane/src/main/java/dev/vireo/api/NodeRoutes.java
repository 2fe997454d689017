package dev.vireo.api;

import dev.vireo.protocol.auth.User;
import dev.vireo.scheduler.NodeView;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /api/v1/nodes}: the nodes with state, capacity, allocation and VMs; one node; cordon (no new VMs)
 * and uncordon. Drain moves VMs off a node and comes with live migration.
 */
final class NodeRoutes extends AllDirectives {

    private final StatusRoutes status;

    NodeRoutes(StatusRoutes status) {
        this.status = status;
    }

    Route route(String requestId, User user) {
        return concat(
                pathEndOrSingleSlash(() -> get(() -> completeWithFuture(status.nodes().thenApply(nodes ->
                        ApiResponses.json(StatusCodes.OK, Map.of("items", nodes)))))),
                pathPrefix(PathMatchers.segment(), name -> concat(
                        pathEndOrSingleSlash(() -> get(() -> completeWithFuture(status.nodes().thenApply(nodes ->
                                nodes.stream().filter(n -> n.name().equals(name)).findFirst()
                                        .map(n -> ApiResponses.json(StatusCodes.OK, n))
                                        .orElseGet(() -> unknown(name)))))),
                        path("cordon", () -> post(() -> completeWithFuture(status.cordon(name, true, requestId,
                                user.name()).thenApply(node -> answer(name, node))))),
                        path("uncordon", () -> post(() -> completeWithFuture(status.cordon(name, false, requestId,
                                user.name()).thenApply(node -> answer(name, node))))),
                        path("drain", () -> post(() -> complete(ApiResponses.error(StatusCodes.NOT_IMPLEMENTED,
                                "NotSupported", "drain moves every VM off the node and comes with live migration;"
                                        + " cordon the node meanwhile (POST …/nodes/" + name + "/cordon)", null)))),
                        path(PathMatchers.segment(), action -> post(() -> complete(ApiResponses.error(
                                StatusCodes.NOT_FOUND, "NotFound", "unknown node action \"" + action
                                        + "\"; node actions are cordon, uncordon and drain", null)))))));
    }

    private static HttpResponse answer(String name, NodeView node) {
        return node == null ? unknown(name) : ApiResponses.json(StatusCodes.OK, node);
    }

    private static HttpResponse unknown(String name) {
        return ApiResponses.error(StatusCodes.NOT_FOUND, "NotFound", "node " + name + " is not known: no node"
                + " runtime of that name has registered (GET /api/v1/nodes lists the nodes)", "name");
    }
}
