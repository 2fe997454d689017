package dev.vireo.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

class RecoveryConcurrencyTest {

    private static final long MIB = 1L << 20;

    @Test
    void autoGivesOneReplayPer32MebibytesOfHeapFromSixteenToAThousand() {
        Config shipped = ConfigFactory.load();
        assertEquals(192, replays(shipped, 6144 * MIB));
        assertEquals(16, replays(shipped, 224 * MIB), "a small heap keeps the 16 that RecoveryWithinHeapTest proves");
        assertEquals(16, replays(shipped, 32 * MIB));
        assertEquals(1000, replays(shipped, 64 * 1024 * MIB));
        assertEquals(32, replays(shipped, 1024 * MIB));
    }

    @Test
    void aNumberIsTakenAsItIs() {
        assertEquals(50, replays(recovery("50"), 6144 * MIB));
    }

    @Test
    void aSettingThatIsNeitherAPositiveNumberNorAutoIsRefusedByName() {
        for (String bad : new String[] {"0", "-3", "many"}) {
            var refused = assertThrows(IllegalArgumentException.class, () -> replays(recovery(bad), 6144 * MIB));
            assertTrue(refused.getMessage().contains("vireo.vm.recovery.concurrent-replays"), refused.getMessage());
        }
    }

    private static Config recovery(String replays) {
        return ConfigFactory.parseString("vireo.vm.recovery { concurrent-replays = \"" + replays
                + "\", heap-per-replay = 32MiB }");
    }

    private static int replays(Config config, long maxHeap) {
        return RecoveryConcurrency.apply(config, maxHeap).getInt("pekko.persistence.max-concurrent-recoveries");
    }
}
