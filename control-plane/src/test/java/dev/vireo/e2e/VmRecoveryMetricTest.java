package dev.vireo.e2e;

import dev.vireo.Vireo;
import dev.vireo.VireoSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** An operator follows a restart's recovery on /metrics: the counter reaches the number of VMs. */
class VmRecoveryMetricTest {

    @TempDir
    Path dataDir;

    @Test
    void aRestartCountsEveryExistingVmRecoveredAndNoDeletedOne() throws Exception {
        try (Vireo vireo = start()) {
            Api api = new Api(vireo.port());
            RunningVireo.awaitReady(api, Duration.ofSeconds(60));
            for (String name : new String[] {"kept-1", "kept-2", "kept-3", "deleted"}) {
                assertEquals(201, api.create(Manifests.json(name, "Halted")).status());
            }
            assertEquals(200, api.delete(Api.vm("deleted")).status());
            assertEquals(0, api.vmRecoveries(), "new VMs start from an empty log: nothing recovered");
        }
        try (Vireo vireo = start()) {
            Api api = new Api(vireo.port());
            RunningVireo.awaitReady(api, Duration.ofSeconds(60));
            assertEquals(3L, (long) Eventually.get("3 VMs recovered", Duration.ofSeconds(60), api::vmRecoveries,
                    n -> n >= 3));
            Thread.sleep(500);
            assertEquals(3, api.vmRecoveries(), "the deleted VM is not counted");
        }
        // Halted VMs have nothing to resume: they left memory after that recovery and recover when asked about
        try (Vireo vireo = start()) {
            Api api = new Api(vireo.port());
            RunningVireo.awaitReady(api, Duration.ofSeconds(60));
            Thread.sleep(1000);
            assertEquals(0, api.vmRecoveries(), "idle VMs are not recovered at start");
            assertEquals(200, api.get(Api.vm("kept-1")).status());
            assertEquals(1, api.vmRecoveries());
        }
    }

    private Vireo start() throws Exception {
        return Vireo.start(new VireoSettings("127.0.0.1", 0, dataDir, RunningVireo.HYPERVISOR, null, 0, "local",
                RunningVireo.TEST_CONFIG));
    }
}
