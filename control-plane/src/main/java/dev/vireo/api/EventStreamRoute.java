package dev.vireo.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.vireo.persistence.EventLog;
import dev.vireo.persistence.LoggedEvent;
import dev.vireo.persistence.StoredEvent;
import dev.vireo.persistence.StoredNodeEvent;
import dev.vireo.protocol.api.InvalidManifestException;
import dev.vireo.protocol.api.Limits;
import dev.vireo.protocol.api.Json;
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

    Route route() {
        return get(() -> optionalHeaderValueByName("Last-Event-ID", lastEventId ->
                parameterOptional("since", since -> parameterOptional("namespace", namespace ->
                        parameterOptional("name", name -> parameterOptional("type", type -> {
                            long after = offset(lastEventId.or(() -> since));
                            namespace.ifPresent(ns -> ManifestValidator.checkName("namespace", ns));
                            name.ifPresent(n -> ManifestValidator.checkName("name", n));
                            Set<String> types = type.map(t -> Arrays.stream(t.split(",")).map(String::trim)
                                    .filter(s -> !s.isEmpty()).collect(Collectors.toSet())).orElse(Set.of());
                            var events = eventLog.streamWithNodes(after)
                                    .filter(e -> matches(e, namespace, name, types))
                                    .map(this::encoded)
                                    .keepAlive(KEEP_ALIVE, ServerSentEvent::heartbeat);
                            return completeOK(events, EventStreamMarshalling.toEventStream());
                        }))))));
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
