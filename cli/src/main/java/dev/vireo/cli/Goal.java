package dev.vireo.cli;

import java.util.Set;
import java.util.function.Predicate;

/**
 * Where a {@code --wait} is heading. {@code failuresEnd} says whether a failure phase ends the wait
 * (it does, except on the way to deletion, where a failing VM is still being removed).
 */
record Goal(String description, boolean failuresEnd, Predicate<PhaseWatch.Progress> reached) {
    static final Set<String> FAILURE_PHASES = Set.of("ErrorUnschedulable", "CrashLoopBackOff", "Failed");
    private static final Set<String> SETTLED_PHASES = Set.of("Stopped", "Running", "Paused");

    static Goal phase(String phase) {
        return new Goal("be " + phase, true, p -> p.now().exists() && phase.equals(p.now().phase()));
    }

    static Goal gone() {
        return new Goal("be deleted", false, p -> !p.now().exists());
    }

    /** Running again after a restart: it left Running, started anew, or was placed again. */
    static Goal restarted() {
        return new Goal("be Running again", true, p -> p.now().exists() && "Running".equals(p.now().phase())
                && (p.leftRunning() || p.eventsSeen().contains("DomainStarted") || p.incarnationChanged()));
    }

    /** Any phase that lasts: for runStrategy Manual, where nothing says whether it should run. */
    static Goal settled() {
        return new Goal("settle", true, p -> p.now().exists() && SETTLED_PHASES.contains(p.now().phase()));
    }

    /** What apply waits for, from the runStrategy the VM has. */
    static Goal forRunStrategy(String runStrategy) {
        if (runStrategy == null) {
            return settled();
        }
        return switch (runStrategy) {
            case "Always", "RerunOnFailure", "Once" -> phase("Running");
            case "Halted" -> phase("Stopped");
            default -> settled();
        };
    }
}
