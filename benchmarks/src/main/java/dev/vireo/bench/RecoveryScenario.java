package dev.vireo.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;

/**
 * Stops Vireo cleanly and starts it again on the same journal; the time from launching the JVM until
 * the API is ready and every VM entity has been rebuilt from its log ({@code vireo_vm_recoveries_total}
 * on /metrics reaches the number of VMs). Then every VM is checked by listing each namespace, which asks
 * each entity for its state; that time is reported too. Asking 100k entities while they recover would
 * load the server it measures (and a list that times out is asked again), hence the counter.
 */
final class RecoveryScenario {

    record Result(double seconds, double readySeconds, double listedSeconds, int vms) {
    }

    /**
     * @param vms every VM in the journal (the counter counts them all)
     * @param expected {@code expected[i]}: how many VMs namespace {@code namespaces[i]} holds (the listed check)
     */
    static Result measure(VireoProcess vireo, int vms, String[] namespaces, int[] expected) throws Exception {
        ObjectMapper json = new ObjectMapper();
        double ready = vireo.awaitReady(java.time.Duration.ofMinutes(5));
        ApiClient api = new ApiClient(vireo.base());
        while (api.metric("vireo_vm_recoveries_total") < vms) {
            Thread.sleep(50);
        }
        double recovered = vireo.secondsSinceLaunch();
        for (int i = 0; i < namespaces.length; i++) {
            while (true) {
                HttpResponse<String> r = api.get("/api/v1/namespaces/" + namespaces[i] + "/virtualmachines");
                if (r.statusCode() == 200 && json.readTree(r.body()).get("items").size() == expected[i]) {
                    break;
                }
                Thread.sleep(200); // an ask timed out: ask again
            }
        }
        return new Result(recovered, ready, vireo.secondsSinceLaunch(), vms);
    }
}
