package dev.vireo.bench;

import java.util.Map;

/**
 * Heap per VM entity: live heap after a full GC with N more VMs minus the same before them. The VMs are
 * Halted, so each is an entity (state, actor, sharding bookkeeping) without a domain. The delta is
 * everything those VMs cost the server, including caches that grow with the journal (H2's page cache).
 */
final class FootprintScenario {

    record Result(int vms, long baselineBytes, long afterBytes, double bytesPerVm, double createsPerSecond) {
    }

    static final int PER_NAMESPACE = 10_000;

    static String namespace(int i) {
        return "fp-" + i / PER_NAMESPACE;
    }

    static Result run(ApiClient api, long serverPid, int vms) throws Exception {
        // warm-up: the same kind of VMs, so that classes, pools and code paths exist in the baseline too
        ApiClient.many(200, 32, 201, i -> api.create("fp-warmup", "vm-" + i, "Halted"));
        ServerHeap.Histogram before = ServerHeap.histogram(serverPid);
        long start = System.nanoTime();
        ApiClient.many(vms, 32, 201, i -> api.create(namespace(i), "vm-" + i, "Halted"));
        double seconds = (System.nanoTime() - start) / 1e9;
        Thread.sleep(2000); // let the journal's and sharding's writes settle before counting
        ServerHeap.Histogram after = ServerHeap.histogram(serverPid);
        System.out.printf("  created %d VMs in %.1f s; live heap %.1f MiB -> %.1f MiB; grown most:%n", vms, seconds,
                before.total() / 1048576.0, after.total() / 1048576.0);
        for (Map.Entry<String, Long> e : after.grownSince(before, 12)) {
            System.out.printf("    %8.0f B/VM  %s%n", e.getValue() / (double) vms, e.getKey());
        }
        return new Result(vms, before.total(), after.total(), (after.total() - before.total()) / (double) vms,
                vms / seconds);
    }
}
