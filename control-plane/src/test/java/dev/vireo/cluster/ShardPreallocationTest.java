package dev.vireo.cluster;

import dev.vireo.Vireo;
import dev.vireo.VireoSettings;
import org.apache.pekko.cluster.sharding.ClusterSharding;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.pattern.Patterns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

class ShardPreallocationTest {

    @TempDir
    Path dataDir;

    /**
     * What ShardPreallocation takes from Pekko's internals. Without them Vireo still starts (shards allocate on
     * first use, slower for a burst of creates); this says exactly what a Pekko upgrade took away.
     */
    @Test
    void theShardingInternalsItReliesOnAreStillThere() throws Exception {
        Class<?> getShardHome = assertInternal(ShardPreallocation.GET_SHARD_HOME);
        assertNotNull(getShardHome.getConstructor(String.class), ShardPreallocation.GET_SHARD_HOME + "(String shard)");
        Class<?> shardHome = assertInternal(ShardPreallocation.SHARD_HOME);
        assertEquals(String.class, shardHome.getMethod("shard").getReturnType(), ShardPreallocation.SHARD_HOME + ".shard()");
        try (Vireo vireo = start(Map.of())) {
            // the coordinator singleton starts shortly after the system: resolveOne fails at once while it is
            // not there yet, so ask again until it is (or the deadline says the path is wrong)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            Object coordinator = null;
            while (coordinator == null) {
                try {
                    coordinator = vireo.system().classicSystem()
                            .actorSelection(ShardPreallocation.coordinatorPath("VirtualMachine"))
                            .resolveOne(Duration.ofSeconds(5)).toCompletableFuture().get(10, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException notYet) {
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("no sharding coordinator at "
                                + ShardPreallocation.coordinatorPath("VirtualMachine") + " within 30 s", notYet);
                    }
                    Thread.sleep(200);
                }
            }
            assertNotNull(coordinator, "sharding's coordinator at " + ShardPreallocation.coordinatorPath("VirtualMachine"));
        }
    }

    private static Class<?> assertInternal(String className) {
        try {
            return Class.forName(className);
        } catch (ClassNotFoundException e) {
            throw new AssertionError("Pekko no longer has " + className + ": ShardPreallocation cannot allocate shards"
                    + " at start any more (they allocate on first use); find its new name or another way", e);
        }
    }

    @Test
    void everyShardIsAllocatedAtStartAndTheJournalKeepsItsShardCount() throws Exception {
        try (Vireo vireo = start(Map.of("pekko.cluster.sharding.number-of-shards", 30))) {
            assertEquals(30, awaitHostedShards(vireo, 30), "all shards hosted without any VM being created");
        }
        try (Vireo vireo = start(Map.of("pekko.cluster.sharding.number-of-shards", 50))) {
            awaitHostedShards(vireo, 30);
            Thread.sleep(3000); // time to allocate 20 more shards, were the configured count used
            assertEquals(30, awaitHostedShards(vireo, 30),
                    "a journal written with 30 shards is opened with 30 whatever the configuration says");
        }
    }

    private Vireo start(Map<String, Object> config) throws Exception {
        return Vireo.start(new VireoSettings("127.0.0.1", 0, dataDir, "test:///default", null, 0, "local", config));
    }

    /** The shards this (only) member hosts, once there are {@code expected} of them or after 60 s. */
    private static int awaitHostedShards(Vireo vireo, int expected) throws Exception {
        var region = ClusterSharding.get(vireo.system().classicSystem()).shardRegion("VirtualMachine");
        Instant deadline = Instant.now().plusSeconds(60);
        int hosted = 0;
        while (Instant.now().isBefore(deadline)) {
            var state = (ShardRegion.CurrentShardRegionState) Patterns.ask(region,
                    ShardRegion.getShardRegionStateInstance(), Duration.ofSeconds(5)).toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            hosted = state.getShards().size();
            if (hosted >= expected) {
                return hosted;
            }
            Thread.sleep(200);
        }
        return hosted;
    }
}
