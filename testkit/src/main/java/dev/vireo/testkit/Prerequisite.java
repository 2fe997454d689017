package dev.vireo.testkit;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * What a test needs from the machine (a libvirt daemon, a guest image, kubectl). Missing on a developer's
 * machine, the test is skipped with the reason; missing under CI ({@code CI=true}), the test fails: a run
 * that skipped its real-guest tests proves nothing about them.
 */
public final class Prerequisite {

    private Prerequisite() {
    }

    /** True when the environment says this is a CI run ({@code CI=true}, as CI systems set it). */
    public static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Skips the test (fails it under CI) unless {@code present}; {@code missing} says what is missing and how to get it. */
    public static void require(boolean present, String missing) {
        if (present) {
            return;
        }
        if (inCi()) {
            Assertions.fail("CI=true and a prerequisite is missing, so this test fails instead of skipping: " + missing);
        }
        Assumptions.assumeTrue(false, missing);
    }
}
