package dev.vireo.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code failover}: a control plane and {@code nodes} node runtimes as processes (test driver), {@code vms}
 * running VMs (runStrategy Always) spread over them; in each round the node with the most VMs is killed -9,
 * and each of its VMs counts the time from the kill to its {@code DomainStarted} on another node (the event's
 * own timestamp: the same clock, no polling delay). The killed node is started again (empty) between rounds.
 */
final class FailoverScenario {

    record Result(int vms, int nodes, int rounds, Latencies seconds, long leaseTtlMillis, long leaseMarginMillis) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NAMESPACE = "failover";

    private FailoverScenario() {
    }

    static Result run(Path dir, int nodeCount, int vmCount, int rounds) throws Exception {
        List<Process> processes = new ArrayList<>();
        try {
            int port = VireoProcess.freePort();
            int clusterPort = VireoProcess.freePort();
            Path cpData = Files.createDirectories(dir.resolve("control-plane"));
            processes.add(launch(dir, "control-plane", List.of("control-plane", "--port", Integer.toString(port),
                    "--data", cpData.toString(), "--cluster-port", Integer.toString(clusterPort))));
            ApiClient api = new ApiClient("http://127.0.0.1:" + port);
            String seed = "127.0.0.1:" + clusterPort;
            Map<String, List<String>> nodeArgs = new HashMap<>();
            Map<String, Process> nodes = new HashMap<>();
            for (int i = 1; i <= nodeCount; i++) {
                String name = "f" + i;
                nodeArgs.put(name, List.of("node", "--name", name, "--hypervisor", "test:///default", "--seed", seed,
                        "--data", Files.createDirectories(dir.resolve(name)).toString(), "--cpus", "64",
                        "--memory", "64Gi"));
                nodes.put(name, launch(dir, name, nodeArgs.get(name)));
                processes.add(nodes.get(name));
            }
            awaitReadyNodes(api, nodeCount, Duration.ofMinutes(5));
            List<CompletableFuture<HttpResponse<String>>> created = new ArrayList<>();
            for (int i = 0; i < vmCount; i++) {
                created.add(api.create(NAMESPACE, "vm-" + i, "Always"));
            }
            created.forEach(CompletableFuture::join);
            awaitAllRunning(api, vmCount, null, Duration.ofMinutes(5));

            List<Double> seconds = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                Map<String, List<String>> placed = vmsByNode(api);
                String victim = placed.entrySet().stream().max(Map.Entry.comparingByValue(
                        java.util.Comparator.comparingInt(List::size))).orElseThrow().getKey();
                List<String> affected = placed.get(victim);
                Instant killed = Instant.now();
                nodes.get(victim).destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                awaitAllRunning(api, vmCount, victim, Duration.ofMinutes(3));
                List<Double> thisRound = new ArrayList<>();
                for (String vm : affected) {
                    thisRound.add(startedElsewhere(api, vm, victim, killed));
                }
                seconds.addAll(thisRound);
                System.out.printf("  round %d: killed %s with %d VM(s): %s%n", round, victim, affected.size(),
                        Latencies.of(thisRound.stream().map(s -> s * 1000).toList()));
                if (round < rounds) {
                    Process again = launch(dir, victim + "-" + round, nodeArgs.get(victim));
                    nodes.put(victim, again);
                    processes.add(again);
                    awaitReadyNodes(api, nodeCount, Duration.ofMinutes(3));
                }
            }
            return new Result(vmCount, nodeCount, rounds, Latencies.of(seconds), 8_000, 3_000);
        } finally {
            for (Process p : processes) {
                p.destroy();
            }
            for (Process p : processes) {
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }

    /** Seconds from the kill to the VM's first DomainStarted on another node after it. */
    private static double startedElsewhere(ApiClient api, String vm, String victim, Instant killed) throws Exception {
        JsonNode history = JSON.readTree(api.get("/api/v1/namespaces/" + NAMESPACE + "/virtualmachines/" + vm
                + "/history").body());
        for (JsonNode e : history.path("items")) {
            Instant at = Instant.parse(e.path("timestamp").asText());
            if (e.path("type").asText().equals("DomainStarted") && at.isAfter(killed)
                    && !victim.equals(e.path("data").path("node").asText())) {
                return Duration.between(killed, at).toMillis() / 1000.0;
            }
        }
        throw new IllegalStateException(vm + " has no DomainStarted after the kill of " + victim);
    }

    private static Map<String, List<String>> vmsByNode(ApiClient api) throws Exception {
        Map<String, List<String>> placed = new HashMap<>();
        for (JsonNode node : JSON.readTree(api.get("/api/v1/nodes").body()).path("items")) {
            List<String> vms = new ArrayList<>();
            node.path("virtualMachines").forEach(v -> vms.add(v.asText().substring(NAMESPACE.length() + 1)));
            placed.put(node.path("name").asText(), vms);
        }
        return placed;
    }

    private static void awaitReadyNodes(ApiClient api, int count, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                JsonNode nodes = JSON.readTree(api.get("/api/v1/nodes").body()).path("items");
                int ready = 0;
                for (JsonNode n : nodes) {
                    ready += n.path("state").asText().equals("Ready") ? 1 : 0;
                }
                if (ready >= count) {
                    return;
                }
            } catch (Exception e) {
                // not answering yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(count + " nodes were not Ready within " + within);
    }

    /** Until every VM is Running, none of them on {@code notOn}. */
    private static void awaitAllRunning(ApiClient api, int count, String notOn, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode items = JSON.readTree(api.get("/api/v1/namespaces/" + NAMESPACE + "/virtualmachines").body())
                    .path("items");
            int running = 0;
            for (JsonNode vm : items) {
                boolean elsewhere = notOn == null || !notOn.equals(vm.at("/status/node").asText());
                running += "Running".equals(vm.at("/status/printableStatus").asText()) && elsewhere ? 1 : 0;
            }
            if (running == count) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("not all " + count + " VMs were Running within " + within);
    }

    private static Process launch(Path dir, String name, List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(VireoProcess.launcherJitOptions());
        cmd.addAll(List.of("-Xmx512m", "-cp", System.getProperty("java.class.path"), "dev.vireo.Main"));
        cmd.addAll(args);
        return ApiClient.childEnvironment(new ProcessBuilder(cmd), dir.resolve(name)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".log").toFile())).start();
    }
}
