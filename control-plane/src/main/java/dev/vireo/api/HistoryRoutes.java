package dev.vireo.api;

import dev.vireo.persistence.EventLog;
import dev.vireo.protocol.api.InvalidManifestException;
import dev.vireo.protocol.api.Limits;
import dev.vireo.protocol.api.VirtualMachineViews;
import dev.vireo.protocol.vm.VmId;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/** A VM's history and its state at any past instant, both read from its event log (kept after delete). */
final class HistoryRoutes extends AllDirectives {

    private final EventLog eventLog;

    HistoryRoutes(EventLog eventLog) {
        this.eventLog = eventLog;
    }

    Route route(VmId id) {
        return concat(
                path("history", () -> get(() -> completeWithFuture(eventLog.history(id)
                        .thenApply(events -> events.isEmpty()
                                ? ApiResponses.error(StatusCodes.NOT_FOUND, "NotFound",
                                "virtualmachine " + id + " has no history: it never existed", null)
                                : ApiResponses.json(StatusCodes.OK,
                                Map.of("items", events.stream().map(HistoryEntry::of).toList())))))),
                path("state", () -> get(() -> parameterOptional("at", at -> {
                    Instant instant = parseInstant(at.orElseThrow(() ->
                            new InvalidManifestException("at", "give the instant as ?at=ISO-8601, e.g. ?at=2026-11-28T10:15:30Z")));
                    return completeWithFuture(eventLog.stateAt(id, instant).thenApply(state -> state.exists()
                            ? ApiResponses.json(StatusCodes.OK, VirtualMachineViews.of(state))
                            : ApiResponses.error(StatusCodes.NOT_FOUND, "NotFound",
                            "virtualmachine " + id + " did not exist at " + instant, "at")));
                }))));
    }

    /** The instants an ISO-8601 text of four-digit years names; beyond them no event was or will be written. */
    static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
    static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999999Z");

    static Instant parseInstant(String text) {
        Instant instant;
        try {
            instant = Instant.parse(text);
        } catch (DateTimeParseException e) {
            try {
                instant = OffsetDateTime.parse(text).toInstant();
            } catch (DateTimeParseException e2) {
                throw new InvalidManifestException("at", Limits.shown(text) + " is not an ISO-8601 instant"
                        + " (e.g. 2026-11-28T10:15:30Z or 2026-11-28T11:15:30+01:00)");
            }
        }
        if (instant.isBefore(EARLIEST) || instant.isAfter(LATEST)) {
            throw new InvalidManifestException("at", "at=" + Limits.shown(text) + " is outside the years 0001 to 9999;"
                    + " give an instant within them");
        }
        return instant;
    }
}
