package dev.vireo.persistence;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The read side of the configured journal ({@code vireo.persistence.journal}), made once per ActorSystem: its
 * event log and the VM list kept beside it.
 */
final class Journals implements Extension {

    static final Id ID = new Id();
    static final String JOURNAL = "vireo.persistence.journal";

    private final EventLog eventLog;
    private final VmList vmList;

    private Journals(EventLog eventLog, VmList vmList) {
        this.eventLog = eventLog;
        this.vmList = vmList;
    }

    EventLog eventLog() {
        return eventLog;
    }

    VmList vmList() {
        return vmList;
    }

    static final class Id extends ExtensionId<Journals> {
        @Override
        public Journals createExtension(ActorSystem<?> system) {
            String journal = system.settings().config().getString(JOURNAL);
            return switch (journal) {
                case "embedded" -> new Journals(new EmbeddedEventLog(system), new EmbeddedVmList(system));
                default -> throw new IllegalArgumentException(JOURNAL + " = " + journal + " is not a journal this Vireo"
                        + " knows; use embedded");
            };
        }
    }
}
