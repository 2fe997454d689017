package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vireo.e2e.Api.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Many requests at once: the scheduler never overcommits a node, and one name or version wins exactly once. */
class CapacityTest {

    @RegisterExtension
    static final RunningVireo vireo = new RunningVireo();

    private final Api api = vireo.api();

    @Test
    void concurrentPlacementsNeverOvercommitAndWaitingVmsRunOnceCapacityFrees() throws Exception {
        JsonNode node = node();
        // each VM takes 1 vCPU and 64 MiB: this many fit on the (only) node
        int cpus = (int) Math.min(node.at("/capacity/cpus").asInt() - node.at("/allocated/cpus").asInt(),
                (node.at("/capacity/memoryBytes").asLong() - node.at("/allocated/memoryBytes").asLong()) / (64L << 20));
        int extra = 3;
        String prefix = Manifests.uniqueName("cap");
        List<String> names = IntStream.range(0, cpus + extra).mapToObj(i -> prefix + "-" + i).toList();

        List<Response> created = concurrently(names, name -> api.create(Manifests.json(name, "Always")));
        created.forEach(r -> assertEquals(201, r.status(), r::toString));

        Map<String, List<String>> byPhase = Eventually.get("every VM placed or found unschedulable",
                Duration.ofSeconds(60), () -> phases(names),
                phases -> phases.getOrDefault("Running", List.of()).size() == cpus
                        && phases.getOrDefault("ErrorUnschedulable", List.of()).size() == extra);
        JsonNode full = node();
        assertTrue(full.at("/allocated/cpus").asInt() <= full.at("/capacity/cpus").asInt(), full::toString);
        assertTrue(full.at("/allocated/memoryBytes").asLong() <= full.at("/capacity/memoryBytes").asLong(),
                full::toString);
        assertEquals(cpus, full.at("/virtualMachines").size(), full::toString);

        String waiting = byPhase.get("ErrorUnschedulable").get(0);
        Response unschedulable = api.get(Api.vm(waiting));
        assertTrue(unschedulable.text().contains("no node fits"), unschedulable::toString);

        String running = byPhase.get("Running").get(0);
        assertEquals(202, api.action(running, "stop").status());
        api.awaitPhase(running, "Stopped");
        Map<String, List<String>> after = Eventually.get("one waiting VM to take the freed vCPU",
                Duration.ofSeconds(30), () -> phases(names),
                phases -> phases.getOrDefault("Running", List.of()).size() == cpus
                        && phases.getOrDefault("ErrorUnschedulable", List.of()).size() == extra - 1);
        JsonNode stillFull = node();
        assertTrue(stillFull.at("/allocated/cpus").asInt() <= stillFull.at("/capacity/cpus").asInt());
        assertEquals(cpus, stillFull.at("/virtualMachines").size(), stillFull::toString);
        assertEquals(1, after.get("Stopped").size());

        concurrently(names, name -> api.delete(Api.vm(name)));
        names.forEach(api::awaitGone);
        Eventually.until("the node to be empty again", Duration.ofSeconds(10),
                () -> node().at("/allocated/cpus").asInt() == 0);
    }

    @Test
    void concurrentCreatesOfOneNameMakeExactlyOneVm() throws Exception {
        String name = Manifests.uniqueName("race");
        List<Response> answers = concurrently(IntStream.range(0, 8).mapToObj(i -> name).toList(),
                n -> api.create(Manifests.json(n, "Halted")));
        assertEquals(1, answers.stream().filter(r -> r.status() == 201).count(), answers::toString);
        assertEquals(7, answers.stream().filter(r -> r.status() == 409).count(), answers::toString);
        assertEquals(1, VirtualMachineLifecycleTest.types(api.history(name)).stream().filter("VmCreated"::equals)
                .count());
    }

    @Test
    void concurrentReplacementsOfOneVersionMakeExactlyOneChange() throws Exception {
        String name = Manifests.uniqueName("cas");
        String version = api.create(Manifests.json(name, "Halted")).resourceVersion();
        List<String> memories = IntStream.range(0, 8).mapToObj(i -> (65 + i) + "Mi").toList();
        List<Response> answers = concurrently(memories, memory -> api.put(Api.vm(name), Api.JSON_TYPE,
                Manifests.json(name, "Halted", memory).replace("\"metadata\": {",
                        "\"metadata\": {\"resourceVersion\": \"" + version + "\", ")));
        List<Response> applied = answers.stream().filter(r -> r.status() == 200).toList();
        assertEquals(1, applied.size(), answers::toString);
        assertEquals(7, answers.stream().filter(r -> r.status() == 409).count(), answers::toString);
        assertEquals(applied.get(0).at("/spec/memory"), api.get(Api.vm(name)).at("/spec/memory"));
        assertEquals(1, VirtualMachineLifecycleTest.types(api.history(name)).stream().filter("SpecUpdated"::equals)
                .count());
    }

    private Map<String, List<String>> phases(List<String> names) {
        return names.stream().collect(Collectors.groupingBy(n -> String.valueOf(api.get(Api.vm(n)).phase())));
    }

    private JsonNode node() {
        return api.get("/api/v1/nodes").at("/items/0");
    }

    private static <T> List<Response> concurrently(List<T> inputs, java.util.function.Function<T, Response> call)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(inputs.size());
        try {
            List<CompletableFuture<Response>> futures = new ArrayList<>();
            for (T input : inputs) {
                futures.add(CompletableFuture.supplyAsync(() -> call.apply(input), pool));
            }
            List<Response> answers = new ArrayList<>();
            for (CompletableFuture<Response> f : futures) {
                answers.add(f.get());
            }
            return answers;
        } finally {
            pool.shutdownNow();
        }
    }
}
