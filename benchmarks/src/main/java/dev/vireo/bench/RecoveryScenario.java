package dev.vireo.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;

/**
 * Stops Vireo cleanly and starts it again on the same journal; the time from launching the JVM until
 * the API is ready and every VM answers (listing a namespace asks each of its entities for its state,
 * so a full list means every entity has been recovered from its log).
 */
final class RecoveryScenario {

    record Result(double seconds, double readySeconds, int vms) {
    }

    /** {@code expected[i]}: how many VMs namespace {@code namespaces[i]} holds. */
    static Result measure(VireoProcess vireo, String[] namespaces, int[] expected) throws Exception {
        ObjectMapper json = new ObjectMapper();
        double ready = vireo.awaitReady(java.time.Duration.ofMinutes(5));
        ApiClient api = new ApiClient(vireo.base());
        int total = 0;
        for (int i = 0; i < namespaces.length; i++) {
            while (true) {
                HttpResponse<String> r = api.get("/api/v1/namespaces/" + namespaces[i] + "/virtualmachines");
                if (r.statusCode() == 200 && json.readTree(r.body()).get("items").size() == expected[i]) {
                    break;
                }
                Thread.sleep(200); // an ask timed out while the entities were still recovering: ask again
            }
            total += expected[i];
        }
        return new Result(vireo.secondsSinceLaunch(), ready, total);
    }
}
