package dev.vireo.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vireo.metrics.VireoMetrics;
import dev.vireo.persistence.EventLog;
import dev.vireo.persistence.JournalConfig;
import dev.vireo.persistence.JournalSchema;
import dev.vireo.protocol.api.Json;
import dev.vireo.protocol.api.VirtualMachineViews;
import dev.vireo.protocol.vm.VmDecider;
import dev.vireo.protocol.vm.VmEffect;
import dev.vireo.protocol.vm.VmEvent;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmPolicy;
import dev.vireo.protocol.vm.VmState;
import dev.vireo.vm.fixture.WriteJournalFixture;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.Recovery;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Journals written by older Vireos recover to the same VMs: their events and their snapshots (of the
 * state as that Vireo's code shaped it) load into today's code, and a recovered VM resumes the same work.
 * The journals are real ones, written by {@link WriteJournalFixture} with the code of the commit they are
 * named for; what that code showed of each VM is recorded beside them.
 */
class JournalFixtureTest {

    private static final String FIXTURE = "/journal-fixtures/58635f1/";

    @TempDir
    static Path dataDir;
    static ActorTestKit kit;
    static List<JsonNode> expected;

    @BeforeAll
    static void unpack() throws Exception {
        try (InputStream in = new GZIPInputStream(resource(WriteJournalFixture.JOURNAL))) {
            Files.copy(in, dataDir.resolve("journal.mv.db"));
        }
        expected = new ArrayList<>();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(resource(WriteJournalFixture.EXPECTED),
                StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                expected.add(Json.mapper().readTree(line));
            }
        }
        kit = ActorTestKit.create("journal-fixture", JournalConfig.forDataDir(dataDir));
        JournalSchema.ensure(kit.system());
    }

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    private static InputStream resource(String name) {
        InputStream in = JournalFixtureTest.class.getResourceAsStream(FIXTURE + name);
        if (in == null) {
            throw new IllegalStateException(FIXTURE + name + " is not on the test classpath");
        }
        return in;
    }

    @Test
    void everyVmOfAnOldJournalRecoversAsItWasAndResumesTheSameWork() {
        assertTrue(expected.size() >= 15, "the fixture holds VMs in every phase");
        for (JsonNode vm : expected) {
            VmId id = VmId.parse(vm.get("id").asText());
            List<VmEffect> resumed = new CopyOnWriteArrayList<>();
            ActorRef<VirtualMachineEntity.Command> entity = kit.spawn(VirtualMachineEntity.create(id,
                    new VmDecider(VmPolicy.DEFAULT), (effect, context, timers) -> resumed.add(effect),
                    Clock.systemUTC(), 1000, new VireoMetrics()));
            TestProbe<VirtualMachineEntity.Reply> probe = kit.createTestProbe();
            entity.tell(new VirtualMachineEntity.GetState(probe.ref()));
            VmState state = ((VirtualMachineEntity.Accepted) probe.receiveMessage(Duration.ofSeconds(20))).state();

            assertEquals(vm.get("exists").asBoolean(), state.exists(), id + " exists");
            assertEquals(vm.get("version").asLong(), state.version(), id + " version");
            assertShownAs(vm.get("view"), state, id.toString());
            List<String> expectedWork = new ArrayList<>();
            vm.get("recovery").forEach(e -> expectedWork.add(e.asText()));
            assertEquals(expectedWork, resumed.stream()
                    .map(e -> e.toString().replaceAll("requestId=recovery-[0-9a-f]+", "requestId=recovery")).toList(),
                    id + " resumes the same work after recovery");
            kit.stop(entity);
        }
    }

    @Test
    void timeTravelOverAnOldJournalStartsFromItsSnapshotsAndShowsTheVmAsItWas() throws Exception {
        EventLog eventLog = EventLog.get(kit.system());
        for (JsonNode vm : expected) {
            VmId id = VmId.parse(vm.get("id").asText());
            VmState now = eventLog.stateAt(id, Instant.now().plusSeconds(60)).toCompletableFuture().get(20, TimeUnit.SECONDS);
            assertEquals(vm.get("exists").asBoolean(), now.exists(), id + " exists");
            assertShownAs(vm.get("view"), now, id + " at the newest snapshot and the events after it");
        }
    }

    @Test
    void everySnapshotAndEveryEventOfAnOldJournalLoadToTheVmAsItWasThen() {
        int checked = 0;
        for (JsonNode vm : expected) {
            VmId id = VmId.parse(vm.get("id").asText());
            for (JsonNode step : vm.get("afterEachEvent")) {
                long seqNr = step.get("seqNr").asLong();
                for (boolean fromSnapshot : List.of(true, false)) {
                    VmState state = stateAfter(id, seqNr, fromSnapshot);
                    String what = id + " after event " + seqNr + (fromSnapshot ? " (from its snapshot)" : " (events only)");
                    assertEquals(step.get("exists").asBoolean(), state.exists(), what);
                    assertShownAs(step, state, what);
                    checked++;
                }
            }
        }
        assertTrue(checked > 150, "checked " + checked);
    }

    /**
     * {@code state} as the API shows it: metadata and status (and spec, where expected). A VM that does not
     * exist is not shown (404); what of it lives on is its incarnation, which a VM created again continues.
     */
    private static void assertShownAs(JsonNode expected, VmState state, String what) {
        JsonNode view = asJson(VirtualMachineViews.of(state));
        if (!state.exists()) {
            assertEquals(expected.at("/status/incarnation"), view.at("/status/incarnation"), what + ": incarnation");
            assertEquals(expected.at("/metadata/resourceVersion"), view.at("/metadata/resourceVersion"), what);
            return;
        }
        for (String part : List.of("metadata", "spec", "status")) {
            if (expected.has(part)) {
                assertEquals(expected.get(part), view.get(part), what + ": " + part);
            }
        }
    }

    /** As the API writes it, read back as the expectations were. */
    private static JsonNode asJson(Object value) {
        try {
            return Json.mapper().readTree(Json.mapper().writeValueAsBytes(value));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The VM after its event {@code seqNr}: from the newest snapshot at or before it (or none) and the events up to it. */
    private static VmState stateAfter(VmId id, long seqNr, boolean fromSnapshot) {
        TestProbe<VmState> probe = kit.createTestProbe();
        ActorRef<ActorRef<VmState>> inspector = kit.spawn(Inspector.create(id, seqNr, fromSnapshot));
        inspector.tell(probe.ref());
        VmState state = probe.receiveMessage(Duration.ofSeconds(20));
        kit.stop(inspector);
        return state;
    }

    /** Recovers a VM's log up to one event, without writing to it. */
    private static final class Inspector extends EventSourcedBehavior<ActorRef<VmState>, VmEvent, VmState> {
        private final VmId id;
        private final long upTo;
        private final boolean fromSnapshot;
        private final ActorContext<ActorRef<VmState>> context;

        static Behavior<ActorRef<VmState>> create(VmId id, long upTo, boolean fromSnapshot) {
            return Behaviors.setup(context -> new Inspector(id, upTo, fromSnapshot, context));
        }

        private Inspector(VmId id, long upTo, boolean fromSnapshot, ActorContext<ActorRef<VmState>> context) {
            super(PersistenceId.ofUniqueId(id.persistenceId()));
            this.id = id;
            this.upTo = upTo;
            this.fromSnapshot = fromSnapshot;
            this.context = context;
        }

        @Override
        public VmState emptyState() {
            return VmState.empty(id);
        }

        @Override
        public Recovery recovery() {
            return Recovery.withSnapshotSelectionCriteria(fromSnapshot
                    ? SnapshotSelectionCriteria.latest().withMaxSequenceNr(upTo)
                    : SnapshotSelectionCriteria.none());
        }

        @Override
        public CommandHandler<ActorRef<VmState>, VmEvent, VmState> commandHandler() {
            return (state, replyTo) -> {
                replyTo.tell(state);
                return Effect().none();
            };
        }

        @Override
        public EventHandler<VmState, VmEvent> eventHandler() {
            return (state, event) -> lastSequenceNumber(context) <= upTo ? state.apply(event) : state;
        }
    }
}
