package dev.vireo.persistence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.pekko.serialization.jackson.JacksonMigration;

/**
 * Snapshots of {@code VmState} written before its stage carried its own data (version 1: one record of 18
 * components, with {@code phase}, {@code node}, {@code restartPending} and {@code deleting} side by side) load
 * as today's state: the flags and the phase become the stage they meant, what no stage needs is dropped.
 * Events never changed shape, so they need no adapter. Proven on a journal written by that code
 * ({@code JournalFixtureTest}).
 */
public final class VmStateMigration extends JacksonMigration {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    @Override
    public int currentVersion() {
        return 2;
    }

    @Override
    public JsonNode transform(int fromVersion, JsonNode json) {
        // a state of today's shape under a version-1 manifest was written without this migration configured
        return fromVersion < 2 && json.has("phase") ? fromFlatRecord(json) : json;
    }

    private static JsonNode fromFlatRecord(JsonNode old) {
        ObjectNode state = JSON.objectNode();
        state.set("id", old.get("id"));
        state.set("incarnation", old.get("incarnation"));
        if (old.path("exists").asBoolean(false)) {
            ObjectNode definition = JSON.objectNode();
            for (String field : new String[] {"uid", "labels", "spec", "generation", "creationTimestamp"}) {
                definition.set(field, old.get(field));
            }
            ObjectNode vm = state.putObject("vm");
            vm.set("definition", definition);
            vm.set("stage", stage(old));
            vm.set("crashCount", old.get("crashCount"));
            vm.set("failure", old.get("failureReason"));
        } else {
            state.putNull("vm");
        }
        state.set("lastTransitionTime", old.get("lastTransitionTime"));
        state.set("version", old.get("version"));
        return state;
    }

    /** The stage the old phase and flags meant; a snapshot is never taken between the events of one decision. */
    private static ObjectNode stage(JsonNode old) {
        String phase = old.path("phase").asText();
        ObjectNode stage = JSON.objectNode();
        switch (phase) {
            case "Stopped", "Scheduling", "ErrorUnschedulable", "Failed" -> stage.put("type", phase);
            case "Starting", "Terminating" -> stage.put("type", phase).set("node", old.get("node"));
            case "Running", "Paused", "Unknown" -> {
                stage.put("type", phase).set("node", old.get("node"));
                stage.set("runningSince", old.get("runningSince"));
            }
            case "Stopping" -> stage.put("type", old.path("restartPending").asBoolean(false) ? "Restarting" : "Stopping")
                    .set("node", old.get("node"));
            case "CrashLoopBackOff" -> stage.put("type", phase).set("restartAt", old.get("restartAt"));
            default -> throw new IllegalArgumentException("a VmState snapshot of version 1 in phase " + phase
                    + ", which that version never wrote");
        }
        return stage;
    }
}
