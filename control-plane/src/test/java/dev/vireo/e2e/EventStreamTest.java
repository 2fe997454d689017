package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vireo.e2e.SseSubscription.Event;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code GET /api/v1/events}: the resumable server-sent-event stream of every VM event. */
class EventStreamTest {

    @RegisterExtension
    static final RunningVireo vireo = new RunningVireo();

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    private final Api api = vireo.api();

    @Test
    void sinceZeroReplaysEveryEventFromTheBeginning() {
        String name = Manifests.uniqueName("replay");
        assertEquals(201, api.create(Manifests.json(name, "Always")).status());
        api.awaitPhase(name, "Running");
        List<JsonNode> history = api.history(name);

        try (SseSubscription stream = SseSubscription.open(api, "since=0")) {
            assertEquals(200, stream.status());
            assertTrue(stream.contentType().startsWith("text/event-stream"), stream.contentType());
            List<Event> events = stream.takeUntil(lastOf(name, history), PATIENCE);

            // the log's first event is the first of some VM (not necessarily a VmCreated: a domain left running
            // on the shared test hypervisor by an earlier Vireo is reported, and fenced, as StaleReportIgnored)
            assertEquals(1, events.get(0).data().path("seqNr").asLong(), "the first event of the log comes first");
            assertStrictlyIncreasing(events);
            List<Event> ofVm = events.stream().filter(e -> e.vm().equals("default/" + name)).toList();
            assertEquals(history.size(), ofVm.size());
            for (int i = 0; i < history.size(); i++) {
                assertEquals(history.get(i), withoutStreamFields(ofVm.get(i).data()),
                        "event data is the history entry plus namespace and name");
            }
        }
    }

    @Test
    void eachEventIsAHistoryEntryWithItsVmAndOffset() {
        String name = Manifests.uniqueName("shape");
        assertEquals(201, api.post(Api.vms("default"), Api.JSON_TYPE, Manifests.json(name, "Halted"), "shape-req")
                .status());
        try (SseSubscription stream = SseSubscription.open(api, "since=0&name=" + name)) {
            Event created = stream.takeUntil(e -> true, PATIENCE).get(0);
            JsonNode data = created.data();
            assertEquals("VmCreated", created.event(), "the SSE event: field is the type");
            assertEquals(created.id(), data.path("offset").asLong(), "the SSE id: field is the offset");
            assertEquals("default", data.path("namespace").asText());
            assertEquals(name, data.path("name").asText());
            assertEquals(1, data.path("seqNr").asLong());
            assertEquals("VmCreated", data.path("type").asText());
            assertEquals("admin", data.path("principal").asText());
            assertEquals("shape-req", data.path("requestId").asText());
            assertFalse(data.path("timestamp").asText().isEmpty());
            assertEquals("Halted", data.at("/data/spec/runStrategy").asText());
        }
    }

    @Test
    void lastEventIdResumesWithExactlyTheEventsAfterItWhileEventsAreWritten() throws Exception {
        String busy = Manifests.uniqueName("busy");
        assertEquals(201, api.create(Manifests.json(busy, "Always")).status());
        api.awaitPhase(busy, "Running");

        try (SseSubscription reference = SseSubscription.open(api, "since=0");
             Writer writer = new Writer(api, busy)) {
            writer.start();
            // resume from somewhere in the middle of what is being written
            List<Event> seen = reference.takeUntil(e -> e.vm().equals("default/" + busy)
                    && e.type().equals("Unpaused"), PATIENCE);
            long resumeAfter = seen.get(seen.size() - 1).id();

            List<Event> expected;
            try (SseSubscription resumed = SseSubscription.open(api, "",
                    Map.of("Last-Event-ID", Long.toString(resumeAfter)))) {
                Eventually.until("the writer to write some more", PATIENCE, () -> writer.cycles() >= 3);
                writer.stop();
                String marker = Manifests.uniqueName("marker");
                assertEquals(201, api.create(Manifests.json(marker, "Halted")).status());
                Predicate<Event> isMarker = e -> e.vm().equals("default/" + marker);

                expected = reference.takeUntil(isMarker, PATIENCE);
                List<Event> got = resumed.takeUntil(isMarker, PATIENCE);
                assertEquals(ids(expected), ids(got), "no gap, no duplicate");
                assertEquals(expected, got);
                assertTrue(got.get(0).id() > resumeAfter);
                assertStrictlyIncreasing(got);
            }
            List<Long> replayed = Stream.concat(seen.stream(), expected.stream())
                    .filter(e -> e.vm().equals("default/" + busy)).map(e -> e.data().path("seqNr").asLong()).toList();
            assertEquals(api.history(busy).stream().map(h -> h.path("seqNr").asLong()).toList(), replayed,
                    "the stream has every event of the busy VM, once, in order");
        }
    }

    @Test
    void sinceResumesLikeLastEventId() {
        String name = Manifests.uniqueName("since");
        assertEquals(201, api.create(Manifests.json(name, "Halted")).status());
        assertEquals(202, api.action(name, "start").status());
        api.awaitPhase(name, "Running");
        List<Event> all;
        try (SseSubscription stream = SseSubscription.open(api, "since=0&name=" + name)) {
            all = stream.takeUntil(e -> e.type().equals("DomainStarted"), PATIENCE);
        }
        long after = all.get(1).id();
        try (SseSubscription stream = SseSubscription.open(api, "since=" + after + "&name=" + name)) {
            assertEquals(all.subList(2, all.size()), stream.takeUntil(e -> e.type().equals("DomainStarted"), PATIENCE));
        }
    }

    @Test
    void aReconnectingBrowserResumesFromLastEventIdEvenWithSinceZeroInItsUrl() {
        String name = Manifests.uniqueName("browser");
        assertEquals(201, api.create(Manifests.json(name, "Halted")).status());
        assertEquals(202, api.action(name, "start").status());
        api.awaitPhase(name, "Running");
        List<Event> all;
        try (SseSubscription stream = SseSubscription.open(api, "since=0&name=" + name)) {
            all = stream.takeUntil(e -> e.type().equals("DomainStarted"), PATIENCE);
        }
        // EventSource reconnects to the same URL and adds the id of the last event it saw
        try (SseSubscription stream = SseSubscription.open(api, "since=0&name=" + name,
                Map.of("Last-Event-ID", Long.toString(all.get(2).id())))) {
            assertEquals(all.subList(3, all.size()), stream.takeUntil(e -> e.type().equals("DomainStarted"), PATIENCE));
        }
    }

    @Test
    void withoutAnOffsetOnlyNewEventsArrive() {
        String old = Manifests.uniqueName("old");
        assertEquals(201, api.create(Manifests.json(old, "Halted")).status());
        long lastBefore;
        try (SseSubscription replay = SseSubscription.open(api, "since=0")) {
            List<Event> events = replay.takeUntil(e -> e.vm().equals("default/" + old), PATIENCE);
            lastBefore = events.get(events.size() - 1).id();
        }

        try (SseSubscription live = SseSubscription.open(api, "")) {
            String fresh = Manifests.uniqueName("fresh");
            assertEquals(201, api.create(Manifests.json(fresh, "Halted")).status());
            AtomicInteger pokes = new AtomicInteger();
            // the stream starts "now" once the server has asked the journal where now is: keep writing until it shows
            List<Event> events = Eventually.get("a new event on the live stream", PATIENCE, () -> {
                api.put(Api.vm(fresh), Api.JSON_TYPE, Manifests.json(fresh, "Halted", (64 + pokes.incrementAndGet()) + "Mi"));
                return live.drain(Duration.ofMillis(300));
            }, list -> !list.isEmpty());
            for (Event e : events) {
                assertTrue(e.id() > lastBefore, () -> "an old event arrived: " + e);
                assertEquals("default/" + fresh, e.vm());
            }
        }
    }

    @Test
    void filtersByNamespaceNameAndType() {
        String a = Manifests.uniqueName("fa");
        String b = Manifests.uniqueName("fb");
        assertEquals(201, api.create("filter-a", Manifests.json(a, "Always")).status());
        assertEquals(201, api.create("filter-b", Manifests.json(b, "Always")).status());
        assertEquals(201, api.create("filter-a", Manifests.json(b, "Halted")).status());
        String marker = Manifests.uniqueName("marker");
        Eventually.get("both to run", PATIENCE, () -> api.get(Api.vms("filter-a") + "/" + a), r -> "Running".equals(r.phase()));
        Eventually.get("both to run", PATIENCE, () -> api.get(Api.vms("filter-b") + "/" + b), r -> "Running".equals(r.phase()));
        assertEquals(201, api.create(Manifests.json(marker, "Halted")).status());

        List<Event> all;
        try (SseSubscription reference = SseSubscription.open(api, "since=0")) {
            all = reference.takeUntil(e -> e.vm().equals("default/" + marker), PATIENCE);
        }
        assertFiltered(all, "namespace=filter-a", e -> e.vm().startsWith("filter-a/"));
        assertFiltered(all, "name=" + b, e -> e.data().path("name").asText().equals(b));
        assertFiltered(all, "namespace=filter-b&name=" + b, e -> e.vm().equals("filter-b/" + b));
        assertFiltered(all, "type=DomainStarted,VmCreated",
                e -> Set.of("DomainStarted", "VmCreated").contains(e.type()));
        assertFiltered(all, "namespace=filter-a&type=Scheduled", e -> e.vm().startsWith("filter-a/")
                && e.type().equals("Scheduled"));
    }

    /** The filtered stream gives exactly the reference's events that match, in the same order. */
    private void assertFiltered(List<Event> all, String query, Predicate<Event> matches) {
        List<Event> expected = all.stream().filter(matches).toList();
        assertFalse(expected.isEmpty(), query);
        Event last = expected.get(expected.size() - 1);
        try (SseSubscription filtered = SseSubscription.open(api, "since=0&" + query)) {
            assertEquals(ids(expected), ids(filtered.takeUntil(e -> e.id() >= last.id(), PATIENCE)), query);
        }
    }

    private static Predicate<Event> lastOf(String name, List<JsonNode> history) {
        long lastSeqNr = history.get(history.size() - 1).path("seqNr").asLong();
        return e -> e.vm().equals("default/" + name) && e.data().path("seqNr").asLong() == lastSeqNr;
    }

    private static JsonNode withoutStreamFields(JsonNode data) {
        ObjectNode copy = data.deepCopy();
        copy.remove(List.of("offset", "namespace", "name"));
        return copy;
    }

    private static List<Long> ids(List<Event> events) {
        return events.stream().map(Event::id).toList();
    }

    private static void assertStrictlyIncreasing(List<Event> events) {
        for (int i = 1; i < events.size(); i++) {
            assertTrue(events.get(i).id() > events.get(i - 1).id(), "ids must increase: " + ids(events));
        }
    }

    /** Pauses and unpauses a VM over and over, so that events are written while streams are read. */
    private static final class Writer implements AutoCloseable {
        private final Api api;
        private final String name;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicInteger cycles = new AtomicInteger();
        private final Thread thread;

        Writer(Api api, String name) {
            this.api = api;
            this.name = name;
            this.thread = new Thread(this::run, "event-writer");
            this.thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        private void run() {
            while (running.get()) {
                api.action(name, "pause");
                api.awaitPhase(name, "Paused");
                api.action(name, "unpause");
                api.awaitPhase(name, "Running");
                cycles.incrementAndGet();
            }
        }

        int cycles() {
            return cycles.get();
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(30_000);
        }

        @Override
        public void close() throws InterruptedException {
            stop();
        }
    }
}
