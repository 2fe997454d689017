package dev.vireo.persistence;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/** The event log of the configured journal, made once per ActorSystem ({@code vireo.persistence.journal}). */
final class EventLogs implements Extension {

    static final Id ID = new Id();
    static final String JOURNAL = "vireo.persistence.journal";

    private final EventLog eventLog;

    private EventLogs(EventLog eventLog) {
        this.eventLog = eventLog;
    }

    EventLog eventLog() {
        return eventLog;
    }

    static final class Id extends ExtensionId<EventLogs> {
        @Override
        public EventLogs createExtension(ActorSystem<?> system) {
            String journal = system.settings().config().getString(JOURNAL);
            return switch (journal) {
                case "embedded" -> new EventLogs(new EmbeddedEventLog(system));
                default -> throw new IllegalArgumentException(JOURNAL + " = " + journal + " is not a journal this Vireo"
                        + " knows; use embedded");
            };
        }
    }
}
