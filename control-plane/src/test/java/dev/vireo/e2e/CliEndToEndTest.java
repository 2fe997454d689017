package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.cli.VireoCli;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The {@code vireo} CLI against a running Vireo, as a user types it. */
class CliEndToEndTest {

    @RegisterExtension
    static final RunningVireo vireo = new RunningVireo();

    @TempDir
    Path dir;

    /** What one command printed and how it exited. */
    record Run(int exit, String out, String err) {
        List<String> lines() {
            return out.lines().toList();
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
        }
    }

    @Test
    void applyThenGetShowsTheVmRunning() throws IOException {
        String name = Manifests.uniqueName("cli-apply");
        Run apply = vireo("apply", "-f", manifestFile(name, "Always").toString(), "--wait");
        assertEquals(0, apply.exit(), apply::toString);
        assertTrue(apply.out().contains("virtualmachine/" + name + " created"), apply::toString);
        assertTrue(apply.lines().get(apply.lines().size() - 1).contains("Running"), apply::toString);

        Run get = vireo("get", "vms");
        assertEquals(0, get.exit(), get::toString);
        assertTrue(get.lines().get(0).startsWith("NAME"), get::toString);
        String row = rowOf(get, name);
        assertTrue(row.contains("Running") && row.contains("local"), row);

        Run again = vireo("apply", "-f", manifestFile(name, "Always").replace("64Mi", "96Mi").toString());
        assertEquals(0, again.exit(), again::toString);
        assertTrue(again.out().contains("virtualmachine/" + name + " configured"), again::toString);
        assertEquals("96Mi", vireo.api().get(Api.vm(name)).at("/spec/memory").asText());
    }

    @Test
    void getVmsPagesThroughTheListAndSelectsByLabel() {
        String ns = Manifests.uniqueName("cli-pages");
        for (int i = 0; i < 7; i++) {
            String tier = i % 2 == 0 ? "front" : "back";
            assertEquals(201, vireo.api().create(ns, """
                    {"apiVersion": "vireo.dev/v1", "kind": "VirtualMachine",
                     "metadata": {"name": "vm-%d", "labels": {"tier": "%s"}},
                     "spec": {"runStrategy": "Halted", "memory": "64Mi"}}
                    """.formatted(i, tier)).status());
        }
        Run all = vireo("get", "vms", "-n", ns, "--chunk-size", "3");
        assertEquals(0, all.exit(), all::toString);
        assertEquals(List.of("NAME", "vm-0", "vm-1", "vm-2", "vm-3", "vm-4", "vm-5", "vm-6"),
                all.lines().stream().map(l -> l.split(" ")[0]).toList(), all::toString);
        Run front = vireo("get", "vms", "-n", ns, "-l", "tier=front", "--chunk-size", "2");
        assertEquals(List.of("NAME", "vm-0", "vm-2", "vm-4", "vm-6"),
                front.lines().stream().map(l -> l.split(" ")[0]).toList(), front::toString);
        Run everywhere = vireo("get", "vms", "-A", "-l", "tier=back");
        assertEquals(0, everywhere.exit(), everywhere::toString);
        assertTrue(everywhere.lines().get(0).startsWith("NAMESPACE"), everywhere::toString);
        assertEquals(3, everywhere.lines().stream().filter(l -> l.startsWith(ns + " ")).count(), everywhere::toString);
    }

    @Test
    void stopWithWaitShowsProgressAndEndsStopped() throws IOException {
        String name = runningVm("cli-stop");
        Run stop = vireo("stop", name, "--wait");
        assertEquals(0, stop.exit(), stop::toString);
        List<String> lines = stop.lines();
        assertTrue(lines.get(0).contains("virtualmachine/" + name + " stopping"), stop::toString);
        assertTrue(lines.size() >= 2, "progress lines expected: " + stop);
        for (String progress : lines.subList(1, lines.size())) {
            assertTrue(progress.startsWith(name + ": "), stop::toString);
        }
        assertTrue(lines.get(lines.size() - 1).endsWith("Stopped"), stop::toString);
        assertEquals("Stopped", vireo.api().get(Api.vm(name)).phase());
    }

    @Test
    void historyListsEveryEventWithWhoAskedForIt() throws IOException {
        String name = runningVm("cli-history");
        Run history = vireo("history", name);
        assertEquals(0, history.exit(), history::toString);
        List<String> lines = history.lines();
        assertTrue(lines.get(0).startsWith("SEQ"), history::toString);
        int events = vireo.api().history(name).size();
        assertEquals(events, lines.size() - 1, history::toString);
        assertTrue(lines.get(1).contains("VmCreated") && lines.get(1).contains("admin"), history::toString);
        assertTrue(lines.get(lines.size() - 1).contains("DomainStarted"), history::toString);
    }

    @Test
    void stateAtShowsTheVmAsItWasThen() throws IOException {
        String name = Manifests.uniqueName("cli-state");
        assertEquals(0, vireo("apply", "-f", manifestFile(name, "Halted").toString()).exit());
        Instant whileStopped = Instant.now();
        assertEquals(0, vireo("start", name, "--wait").exit());

        Run then = vireo("state", name, "--at", whileStopped.toString());
        assertEquals(0, then.exit(), then::toString);
        assertTrue(then.out().contains("printableStatus: Stopped"), then::toString);
        assertTrue(then.out().contains("runStrategy: Halted"), then::toString);

        Run now = vireo("state", name, "--at", Instant.now().toString(), "-o", "json");
        assertEquals(0, now.exit(), now::toString);
        assertEquals("Running", Api.parse(now.out()).at("/status/printableStatus").asText(), now::toString);
    }

    @Test
    void eventsPrintsThePastEventsAndEnds() throws IOException {
        String name = runningVm("cli-events");
        Run events = vireo("events", "--name", name);
        assertEquals(0, events.exit(), events::toString);
        List<String> types = new ArrayList<>();
        for (String line : events.lines()) {
            assertTrue(line.contains("default/" + name), events::toString);
            String[] words = line.trim().split("\\s+");
            types.add(words[words.length - 1]);
        }
        assertEquals(VirtualMachineLifecycleTest.types(vireo.api().history(name)), types);
    }

    @Test
    void pausingAStoppedVmPrintsTheErrorAndExitsNonZero() throws IOException {
        String name = Manifests.uniqueName("cli-error");
        assertEquals(0, vireo("apply", "-f", manifestFile(name, "Halted").toString()).exit());
        String before = vireo.api().get(Api.vm(name)).resourceVersion();

        Run pause = vireo("pause", name);
        assertNotEquals(0, pause.exit(), pause::toString);
        assertTrue(pause.err().startsWith("error: "), pause::toString);
        assertTrue(pause.err().contains("Stopped"), "the reason is shown: " + pause);
        assertEquals(before, vireo.api().get(Api.vm(name)).resourceVersion());
    }

    @Test
    void unknownVmIsAnErrorToo() {
        Run get = vireo("get", "vm", Manifests.uniqueName("cli-ghost"));
        assertNotEquals(0, get.exit(), get::toString);
        assertTrue(get.err().startsWith("error: "), get::toString);
    }

    private String runningVm(String prefix) throws IOException {
        String name = Manifests.uniqueName(prefix);
        Run apply = vireo("apply", "-f", manifestFile(name, "Always").toString(), "--wait", "--timeout", "60s");
        assertEquals(0, apply.exit(), apply::toString);
        vireo.api().awaitPhase(name, "Running");
        return name;
    }

    private ManifestFile manifestFile(String name, String runStrategy) throws IOException {
        return new ManifestFile(dir.resolve(name + ".yaml"), Manifests.yaml(name, runStrategy));
    }

    /** A manifest on disk, as {@code apply -f} reads it. */
    private record ManifestFile(Path path, String yaml) {
        ManifestFile {
            try {
                Files.writeString(path, yaml);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        ManifestFile replace(String from, String to) {
            return new ManifestFile(path, yaml.replace(from, to));
        }

        @Override
        public String toString() {
            return path.toString();
        }
    }

    private static String rowOf(Run table, String name) {
        return table.lines().stream().filter(l -> l.startsWith(name + " ")).findFirst()
                .orElseThrow(() -> new AssertionError(name + " not listed:\n" + table));
    }

    private static Run vireo(String... args) {
        List<String> all = new ArrayList<>(Arrays.asList(args));
        all.add("--server");
        all.add("http://127.0.0.1:" + vireo.port());
        if (!all.contains("--token")) {
            all.add("--token");
            all.add(vireo.api().token());
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = VireoCli.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(all.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }
}
