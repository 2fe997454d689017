package dev.vireo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "migrate", description = "Live-migrate a running VM to another node (the scheduler picks one unless --target).")
final class MigrateCommand extends ClientCommand {

    private static final long POLL_MS = 300;

    @Parameters(index = "0", paramLabel = "NAME", description = "The VM.")
    String name;

    @Option(names = "--target", paramLabel = "NODE", description = "The node to migrate to.")
    String target;

    @Option(names = "--bandwidth", paramLabel = "MIB_PER_S", description = "Copy at most this many MiB/s.")
    Long bandwidth;

    @Option(names = "--max-downtime", paramLabel = "MS", description = "The longest pause at switchover (ms).")
    Long maxDowntime;

    @Option(names = "--auto-converge", description = "Throttle a guest that dirties memory faster than it is copied.")
    boolean autoConverge;

    @Mixin
    WaitOptions waiting;

    @Override
    void run() {
        ObjectNode body = Formats.JSON.createObjectNode();
        if (target != null) {
            body.put("targetNode", target);
        }
        if (bandwidth != null) {
            body.put("bandwidthMiBps", bandwidth);
        }
        if (maxDowntime != null) {
            body.put("maxDowntimeMs", maxDowntime);
        }
        if (autoConverge) {
            body.put("autoConverge", true);
        }
        JsonNode answer = client().send("POST", vmPath(name) + "/migrate", body);
        String id = answer.path("migrationId").asText();
        say("virtualmachine/" + name + " migrating from " + answer.path("source").asText("?")
                + (target == null ? "" : " to " + target) + " (migration " + id + ")");
        if (waiting.wait) {
            follow(id);
        }
    }

    /** Prints each change of the migration (phase, progress) until it ends; a failure or cancel exits non-zero. */
    private void follow(String id) {
        long deadline = System.nanoTime() + waiting.timeout.toNanos();
        String last = "";
        while (true) {
            JsonNode m = client().get(vmPath(name) + "/migrations/" + id);
            String phase = m.path("phase").asText();
            String line = describe(m);
            if (!line.equals(last)) {
                say(line);
                last = line;
            }
            switch (phase) {
                case "Succeeded" -> {
                    say("virtualmachine/" + name + " runs on " + m.path("target").asText() + ": migrated in "
                            + m.path("durationMs").asLong() + " ms, downtime " + downtime(m));
                    return;
                }
                case "Failed" -> throw new CommandFailure(CommandFailure.WAIT_FAILED, "migration " + id + " failed: "
                        + m.path("reason").asText() + "; virtualmachine/" + name + " still runs on "
                        + m.path("source").asText());
                case "Cancelled" -> throw new CommandFailure(CommandFailure.WAIT_FAILED, "migration " + id
                        + " was cancelled; virtualmachine/" + name + " still runs on " + m.path("source").asText());
                default -> {
                }
            }
            if (System.nanoTime() > deadline) {
                throw new CommandFailure(CommandFailure.WAIT_TIMED_OUT, "migration " + id + " is still " + phase
                        + " after " + waiting.timeout.toSeconds() + " s; follow it with GET " + vmPath(name)
                        + "/migrations/" + id);
            }
            try {
                Thread.sleep(POLL_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static String describe(JsonNode m) {
        String phase = m.path("phase").asText();
        JsonNode p = m.path("progress");
        if (phase.equals("Running") && !p.isMissingNode()) {
            return "  Running: " + p.path("percent").asInt() + "% transferred, iteration " + p.path("iteration").asLong()
                    + ", " + (p.path("dataRemaining").asLong() >> 20) + " MiB remaining";
        }
        if (phase.equals("Scheduled")) {
            return "  Scheduled: target " + m.path("target").asText();
        }
        return "  " + phase;
    }

    private static String downtime(JsonNode m) {
        long ms = m.path("downtimeMs").asLong(-1);
        return ms < 0 ? "not reported" : ms + " ms";
    }
}
