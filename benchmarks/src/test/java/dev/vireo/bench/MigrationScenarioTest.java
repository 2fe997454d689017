package dev.vireo.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the migration benchmark sums up its samples. */
class MigrationScenarioTest {

    static MigrationScenario.Sample sample(String phase, long downtimeMs, boolean postCopy) {
        return new MigrationScenario.Sample(phase, downtimeMs, 5000, 6000, 300, 3, 100, postCopy, 20.0,
                phase.equals("Succeeded") ? null : "libvirt said no", true);
    }

    @Test
    void aJobWithoutADowntimeFigureAndAFailedMigrationAreNoDowntimeSamples() {
        MigrationScenario.Case c = new MigrationScenario.Case(128, 32, true, List.of(sample("Succeeded", 200, false),
                sample("Succeeded", -1, true), sample("Failed", -1, false), sample("Succeeded", 400, true)));
        Map<String, Object> f = c.figures();
        assertEquals("migration_128_dirty", c.key());
        assertEquals(4, f.get("migrations"));
        assertEquals(3, f.get("succeeded"));
        assertEquals(2, f.get("downtime_samples"));
        assertEquals(200.0, f.get("downtime_p50_ms"));
        assertEquals(400.0, f.get("downtime_p95_ms"));
        assertEquals(2L, f.get("switched_to_post_copy"));
        assertEquals("Failed: libvirt said no", f.get("first_failure"));
    }
}
