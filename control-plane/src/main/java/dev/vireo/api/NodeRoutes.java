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
 * and uncordon; drain (cordon, then move every VM off the node as its evictionStrategy says).
 */
final class NodeRoutes extends AllDirectives {

    private final StatusRoutes status;
    private final NodeDrain drain;

    NodeRoutes(StatusRoutes status, NodeDrain drain) {
        this.status = status;
        this.drain = drain;
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
                        path("drain", () -> post(() -> completeWithFuture(drain.drain(name, requestId,
                                user.name()).thenApply(done -> done == null ? unknown(name)
                                : ApiResponses.json(StatusCodes.ACCEPTED, done))))),
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
