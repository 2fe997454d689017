package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.vireo.Vireo;
import dev.vireo.VireoSettings;
import dev.vireo.protocol.vm.RunStrategy;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A long queue of VMs waiting to replay their logs (thousands created at once, each reading its empty log first;
 * a restart of thousands): every shard waits its turn to read which VMs it remembers (that read needs a recovery
 * permit too) instead of giving up, stopping and idling through Pekko's shard-failure backoff (10 s) while its
 * VMs' commands wait. At 100k VMs that stalled a restart for 6 s at a time. Fails with Pekko's 2 s.
 */
class RecoveryQueueTest {

    private static final int VMS = 8000;

    @TempDir
    Path dataDir;

    @Test
    void aShardWaitingBehindManyReplaysReadsItsRememberedVmsInsteadOfGivingUp() throws Exception {
        Logger shard = (Logger) LoggerFactory.getLogger("org.apache.pekko.cluster.sharding.Shard");
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        shard.addAppender(logged);
        try (Vireo vireo = start()) {
            VirtualMachineSpec spec = new VirtualMachineSpec(RunStrategy.Halted, null, "64Mi", null, null, null, null,
                    null).withDefaults();
            EntityCreates.create(vireo, "queue", VMS, spec, Map.of(), VMS);
        }
        try (Vireo vireo = start()) {
            Api api = new Api(vireo.port());
            RunningVireo.awaitReady(api, Duration.ofSeconds(60));
            assertEquals(VMS, (long) Eventually.get("every VM recovered", Duration.ofSeconds(120),
                    api::vmRecoveries, n -> n >= VMS));
        } finally {
            shard.detachAppender(logged);
        }
        List<String> gaveUp = logged.list.stream().map(ILoggingEvent::getFormattedMessage)
                .filter(m -> m.contains("Failed to load initial entity ids")).toList();
        assertTrue(gaveUp.isEmpty(), gaveUp.size() + " shards gave up waiting: " + gaveUp.stream().findFirst().orElse(""));
    }

    /** One replay at a time: a queue of thousands, as 100k VMs make with the default concurrency. */
    private Vireo start() throws Exception {
        Map<String, Object> config = new HashMap<>(RunningVireo.TEST_CONFIG);
        config.put("vireo.vm.recovery.concurrent-replays", "1");
        return Vireo.start(new VireoSettings("127.0.0.1", 0, dataDir, RunningVireo.HYPERVISOR, null, 0, "local", config));
    }
}
