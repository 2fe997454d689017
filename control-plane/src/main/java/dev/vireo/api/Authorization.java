package dev.vireo.api;

import dev.vireo.auth.Authorizer;
import dev.vireo.protocol.auth.RoleBindings;
import dev.vireo.protocol.auth.User;
import dev.vireo.protocol.auth.Verb;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Who may do what, asked before anything is looked up: a request outside the caller's namespaces is refused
 * 403 whether or not what it names exists, so that nothing leaks across namespaces.
 */
final class Authorization extends AllDirectives {

    private final Authorizer authorizer;

    Authorization(Authorizer authorizer) {
        this.authorizer = authorizer;
    }

    Authorizer authorizer() {
        return authorizer;
    }

    /** {@code inner} when {@code user} may do {@code verb} in {@code namespace} (null: the cluster), else 403. */
    Route allowed(User user, Verb verb, String namespace, Supplier<Route> inner) {
        if (user.isAdmin()) {
            return inner.get();
        }
        return withBindings(bindings -> bindings.allows(user, verb, namespace)
                ? inner.get() : complete(forbidden(user, verb, namespace)));
    }

    /** Reads ({@code GET}) of a namespace's VMs need {@code viewer}, anything else (and console input) {@code editor}. */
    Route vms(User user, String namespace, Supplier<Route> inner) {
        return extractRequest(request -> {
            boolean read = (request.method().equals(HttpMethods.GET) || request.method().equals(HttpMethods.HEAD))
                    && request.getHeader("Upgrade").isEmpty();
            return allowed(user, read ? Verb.READ : Verb.WRITE, namespace, inner);
        });
    }

    /** Reads of the cluster (nodes, metrics) need {@code cluster-viewer}, changes {@code cluster-admin}. */
    Route cluster(User user, Supplier<Route> inner) {
        return extractMethod(method -> allowed(user, method.equals(HttpMethods.GET) ? Verb.READ_CLUSTER
                : Verb.WRITE_CLUSTER, null, inner));
    }

    /** {@code inner} with the bindings as this member knows them. */
    Route withBindings(Function<RoleBindings, Route> inner) {
        RoleBindings known = authorizer.now();
        if (known != null) {
            return inner.apply(known);
        }
        return onSuccess(authorizer.bindings(), inner::apply);
    }

    static HttpResponse forbidden(User user, Verb verb, String namespace) {
        String what = switch (verb) {
            case READ -> "read in namespace " + namespace + " (role viewer)";
            case WRITE -> "change anything in namespace " + namespace + " (role editor)";
            case GRANT -> "see or change the role bindings of namespace " + namespace + " (role admin)";
            case READ_CLUSTER -> "read the cluster's nodes and metrics (cluster role cluster-viewer)";
            case WRITE_CLUSTER -> "change the cluster (cluster role cluster-admin)";
        };
        return ApiResponses.error(StatusCodes.FORBIDDEN, "Forbidden", "user " + user.name() + " may not " + what
                + "; an admin of the namespace (or a cluster-admin) can grant it with a role binding", null);
    }
}
