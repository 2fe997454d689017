package dev.vireo.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.vireo.auth.Authorizer;
import dev.vireo.persistence.EventLog;
import dev.vireo.persistence.LoggedEvent;
import dev.vireo.persistence.StoredEvent;
import dev.vireo.persistence.StoredNodeEvent;
import dev.vireo.protocol.api.InvalidManifestException;
import dev.vireo.protocol.api.Limits;
import dev.vireo.protocol.api.Json;
import dev.vireo.protocol.auth.RoleBindings;
import dev.vireo.protocol.auth.User;
import dev.vireo.protocol.auth.Verb;
import dev.vireo.protocol.api.ManifestValidator;
import dev.vireo.protocol.node.NodeEvent;
import dev.vireo.protocol.vm.VmEvent;
import dev.vireo.protocol.vm.VmId;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Source;

/**
 * {@code GET /api/v1/events}: every VM event, and the nodes' events (joined, not ready, lost, cordoned), as
 * server-sent events. The {@code id:} of each is its offset; {@code Last-Event-ID} or {@code ?since=} resumes
 * after it, {@code ?since=0} replays everything, neither streams new events only. Filters: namespace and name
 * (VM events only), type (comma-separated).
 */
final class EventStreamRoute extends AllDirectives {

    static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

    private final EventLog eventLog;
    /** The newest 4096 events, at most 16 MiB of them (each of at most 256 KiB). */
    private final EncodedEvents<ServerSentEvent> recent = new EncodedEvents<>(4096, 16L << 20,
            sse -> 2L * sse.getData().length() + 64);

    EventStreamRoute(EventLog eventLog) {
        this.eventLog = eventLog;
    }

    /**
     * The stream as {@code user} may see it: the events of the namespaces it may read (the nodes' with
     * cluster-viewer), looked at again for each event; closed within {@link #RECHECK} of its token's
     * revocation or of the loss of what it asked to read.
     */
    Route route(User user, String credential, Authentication authentication, Authorization authorization) {
        String header = credential;
        return get(() -> optionalHeaderValueByName("Last-Event-ID", lastEventId ->
                parameterOptional("since", since -> parameterOptional("namespace", namespace ->
                        parameterOptional("name", name -> parameterOptional("type", type ->
                                authorization.withBindings(bindings -> {
                            StreamAccess access = new StreamAccess(user, header, namespace.orElse(null),
                                    authentication, authorization.authorizer());
                            if (!access.allowed(bindings)) {
                                return complete(Authorization.forbidden(user, Verb.READ, namespace.orElse("(any)")));
                            }
                            long after = offset(lastEventId.or(() -> since));
                            namespace.ifPresent(ns -> ManifestValidator.checkName("namespace", ns));
                            name.ifPresent(n -> ManifestValidator.checkName("name", n));
                            Optional<Runnable> slot = authentication.limits().openStream(user);
                            if (slot.isEmpty()) {
                                return complete(Authentication.tooManyRequests(RECHECK, "user " + user.name()
                                        + " has " + authentication.limits().streamsPerUser()
                                        + " event streams open, as many as a user may: close one"));
                            }
                            Set<String> types = type.map(t -> Arrays.stream(t.split(",")).map(String::trim)
                                    .filter(s -> !s.isEmpty()).collect(Collectors.toSet())).orElse(Set.of());
                            Source<Object, ?> checks = Source.tick(RECHECK, RECHECK, RECHECK);
                            boolean limited = !authentication.limits().exempt(user);
                            var events = eventLog.streamWithNodes(after)
                                    .filter(e -> matches(e, namespace, name, types))
                                    .<Object>map(e -> e)
                                    .merge(checks, true)
                                    .takeWhile(e -> e != RECHECK || access.stillAllowed())
                                    // a limited user's stream says it is alive at each check: the write to a
                                    // connection the client closed fails soon, and gives the stream's slot back
                                    .filter(e -> e == RECHECK ? limited : access.mayRead((LoggedEvent) e))
                                    .map(e -> e == RECHECK ? ServerSentEvent.heartbeat() : encoded((LoggedEvent) e))
                                    .keepAlive(KEEP_ALIVE, ServerSentEvent::heartbeat)
                                    .watchTermination((mat, done) -> {
                                        done.whenComplete((ok, failure) -> slot.get().run());
                                        return mat;
                                    });
                            return completeOK(events, EventStreamMarshalling.toEventStream());
                        })))))));
    }

    /** How often an open stream's token and bindings are looked at again. */
    static final Duration RECHECK = Duration.ofSeconds(1);

    /** What one open stream's user may see, asked of the token file and the bindings as they are now. */
    private record StreamAccess(User user, String authorization, String namespace, Authentication authentication,
                                Authorizer authorizer) {

        boolean allowed(RoleBindings bindings) {
            if (user.isAdmin()) {
                return true;
            }
            if (namespace != null) {
                return bindings.allows(user, Verb.READ, namespace);
            }
            return bindings.readableNamespaces(user).map(set -> !set.isEmpty()).orElse(true);
        }

        boolean stillAllowed() {
            String token = authorization.length() > 7 ? authorization.substring(7).strip() : "";
            Optional<User> now = authentication.authenticate(token);
            if (now.isEmpty() || !now.get().equals(user)) {
                return false;
            }
            RoleBindings bindings = authorizer.now();
            return bindings == null || allowed(bindings);
        }

        boolean mayRead(LoggedEvent e) {
            if (user.isAdmin()) {
                return true;
            }
            RoleBindings bindings = authorizer.now();
            if (bindings == null) {
                return false;
            }
            return e instanceof StoredEvent vm ? bindings.allows(user, Verb.READ, vm.vm().namespace())
                    : bindings.allows(user, Verb.READ_CLUSTER, null);
        }
    }

    private static long offset(Optional<String> given) {
        if (given.isEmpty() || given.get().isBlank()) {
            return EventLog.FROM_NOW;
        }
        try {
            long offset = Long.parseLong(given.get().trim());
            if (offset < 0) {
                throw new NumberFormatException();
            }
            return offset;
        } catch (NumberFormatException e) {
            throw new InvalidManifestException("since", Limits.shown(given.get())
                    + " is not an event offset: use the id of an event received, or 0 to replay everything");
        }
    }

    private static boolean matches(LoggedEvent logged, Optional<String> namespace, Optional<String> name,
                                   Set<String> types) {
        if (logged instanceof StoredNodeEvent node) {
            return namespace.isEmpty() && name.isEmpty()
                    && (types.isEmpty() || types.contains(NodeEvent.typeOf(node.event())));
        }
        StoredEvent e = (StoredEvent) logged;
        VmId id = e.vm();
        return namespace.map(id.namespace()::equals).orElse(true)
                && name.map(id.name()::equals).orElse(true)
                && (types.isEmpty() || types.contains(VmEvent.typeOf(e.event())));
    }

    private ServerSentEvent encoded(LoggedEvent e) {
        return recent.get(e.offset(), offset -> toSse(e));
    }

    private static ServerSentEvent toSse(LoggedEvent e) {
        HistoryEntry entry = HistoryEntry.onStream(e);
        try {
            return ServerSentEvent.create(Json.mapper().writeValueAsString(entry), entry.type(),
                    Long.toString(e.offset()));
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
