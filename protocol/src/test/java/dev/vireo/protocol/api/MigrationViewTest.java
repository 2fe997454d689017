package dev.vireo.protocol.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.vireo.protocol.vm.EventMeta;
import dev.vireo.protocol.vm.MigrationPolicy;
import dev.vireo.protocol.vm.MigrationProgress;
import dev.vireo.protocol.vm.VmEvent;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A migration as the API shows it: when it switched to post-copy is the first progress report that says so. */
class MigrationViewTest {

    static final String ID = "mig-1";

    static EventMeta at(int second) {
        return new EventMeta(Instant.parse("2026-12-01T10:00:00Z").plusSeconds(second), "r-1", EventMeta.node("a"));
    }

    static VmEvent progress(int second, long iteration, boolean postCopy) {
        return new VmEvent.MigrationProgressed(at(second), ID, new MigrationProgress(second * 1000L, 100, 50, 50, 10,
                iteration, postCopy));
    }

    @Test
    void theSwitchToPostCopyIsWhenTheFirstReportAfterItWasRecorded() {
        MigrationPolicy policy = new MigrationPolicy(0, 300, 150, 150, false, true, 2);
        List<VmEvent> history = List.of(
                new VmEvent.MigrationRequested(at(0), ID, "a", "b", policy),
                new VmEvent.MigrationTargetChosen(at(1), ID, "b", 2),
                new VmEvent.MigrationStarted(at(2), ID, "a", "b", 2),
                progress(3, 1, false), progress(4, 3, false));
        MigrationView preCopy = MigrationView.of(history).get(0);
        assertNull(preCopy.progress().postCopy());
        assertNull(preCopy.progress().postCopySince());
        List<VmEvent> switched = new java.util.ArrayList<>(history);
        switched.addAll(List.of(progress(5, 3, true), progress(6, 3, true)));
        MigrationView postCopy = MigrationView.of(switched).get(0);
        assertEquals(Boolean.TRUE, postCopy.progress().postCopy());
        assertEquals("2026-12-01T10:00:05Z", postCopy.progress().postCopySince());
        assertEquals(2, postCopy.policy().postCopyAfterIterations());
    }
}
