package dev.vireo.persistence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vireo.protocol.api.LabelSelector;
import dev.vireo.protocol.vm.EventMeta;
import dev.vireo.protocol.vm.VmEvent;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The VM list of the embedded journal: entries by namespace and name, kept with the offset they include. */
class EmbeddedVmListTest {

    @TempDir
    static Path dataDir;
    static TestJournal journal;
    static VmList list;

    @BeforeAll
    static void start() {
        journal = new TestJournal(dataDir);
        list = VmList.get(journal.system());
    }

    @AfterAll
    static void stop() {
        journal.close();
    }

    private static VmState created(VmId id, Map<String, String> labels) {
        return VmState.empty(id).apply(new VmEvent.VmCreated(new EventMeta(Instant.now(), "r", "test"), "uid-" + id.name(),
                labels, Recorder.SPEC));
    }

    private static VmList.Entry entry(VmState state) {
        return new VmList.Entry(state, ("{\"name\":\"" + state.id().name() + "\"}").getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> names(List<VmList.Listed> page) {
        return page.stream().map(l -> l.vm().entityId()).toList();
    }

    @Test
    void entriesAreListedByNamespaceAndNameAndTheirOffsetMovesWithThem() {
        long before = TestJournal.await(list.offset());
        VmState b = created(new VmId("ns1", "b"), Map.of("app", "web"));
        VmState a = created(new VmId("ns1", "a"), Map.of());
        VmState c = created(new VmId("ns2", "c"), Map.of());
        TestJournal.await(list.update(List.of(entry(b), entry(a), entry(c)), before + 10));
        assertEquals(before + 10, TestJournal.await(list.offset()));

        assertEquals(List.of("ns1/a", "ns1/b"), names(TestJournal.await(list.page("ns1", null, 10, LabelSelector.EVERYTHING))));
        assertEquals(List.of("ns1/b"), names(TestJournal.await(list.page("ns1", new VmId("ns1", "a"), 10, LabelSelector.EVERYTHING))));
        assertEquals(List.of("ns1/a"), names(TestJournal.await(list.page("ns1", null, 1, LabelSelector.EVERYTHING))));
        assertEquals(List.of("ns1/a", "ns1/b", "ns2/c"), names(TestJournal.await(list.page(null, null, 10, LabelSelector.EVERYTHING))));
        assertEquals(List.of("ns2/c"), names(TestJournal.await(list.page(null, new VmId("ns1", "b"), 10, LabelSelector.EVERYTHING))));

        VmList.Listed listed = TestJournal.await(list.page("ns1", new VmId("ns1", "a"), 1, LabelSelector.EVERYTHING)).get(0);
        assertArrayEquals("{\"name\":\"b\"}".getBytes(StandardCharsets.UTF_8), listed.view());
        assertEquals(List.of("ns1/b"), names(TestJournal.await(list.page(null, null, 10, LabelSelector.parse("app=web")))),
                "what a selector selects, by the labels taken in");
        assertEquals(List.of("ns2/c"), names(TestJournal.await(list.page(null, null, 1, LabelSelector.parse("!app")).thenCompose(
                first -> list.page(null, first.get(0).vm(), 1, LabelSelector.parse("!app"))))));
        assertEquals(Map.of(b.id(), b, a.id(), a), TestJournal.await(list.states(List.of(a.id(), b.id(),
                new VmId("ns9", "unknown")))), "states as they were taken in; unknown VMs missing");
    }

    @Test
    void aVmThatIsGoneIsNotListedButItsStateIsKept() {
        VmState gone = created(new VmId("ns3", "gone"), Map.of())
                .apply(new VmEvent.VmDeleted(new EventMeta(Instant.now(), "r2", "test"), "uid-gone"));
        VmState kept = created(new VmId("ns3", "kept"), Map.of());
        TestJournal.await(list.update(List.of(entry(gone), entry(kept)), TestJournal.await(list.offset()) + 1));
        assertEquals(List.of("ns3/kept"), names(TestJournal.await(list.page("ns3", null, 10, LabelSelector.EVERYTHING))));
        assertEquals(gone, TestJournal.await(list.states(List.of(gone.id()))).get(gone.id()),
                "its incarnation goes on if it is created again");
    }
}
