package dev.vireo.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The table's verdicts: a figure against the goal the issue set for a run of its size. */
class BenchGoalsTest {

    @Test
    void aBurstOfAThousandVmsIsHeldToOneSecondAndOneOfAHundredToAHundredMilliseconds() {
        Map<String, Object> full = Map.of("vms", 1000, "p95_ms", 850.0);
        Map<String, Object> quick = Map.of("vms", 100, "p95_ms", 850.0);

        assertEquals("< 1000 (1000 VMs)  met", Bench.verdict(Bench.goal("burst.p95_ms", full), 850.0));
        assertEquals("< 100 (100 VMs)  MISSED", Bench.verdict(Bench.goal("burst.p95_ms", quick), 850.0));
        assertEquals("< 1000 (1000 VMs)  MISSED", Bench.verdict(Bench.goal("burst.again_p95_ms", full), 2146.0));
    }

    @Test
    void figuresWithoutAGoalHaveNoVerdictAndTheOthersKeepTheirs() {
        assertEquals("", Bench.verdict(Bench.goal("burst.p50_ms", Map.of("vms", 100)), 10.0));
        assertEquals("< 50 (200 subscribers)  met", Bench.verdict(Bench.goal("sse.p99_ms", Map.of()), 18.2));
        assertEquals("< 20 (10k events)  (no sample)", Bench.verdict(Bench.goal("time_travel.p99_ms", Map.of()), Double.NaN));
    }
}
