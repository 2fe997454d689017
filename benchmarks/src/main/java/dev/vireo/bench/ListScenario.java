package dev.vireo.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Lists as a client asks for them: a whole namespace of the footprint's VMs, its first page of 500, and every
 * VM of every namespace page by page (500 a page, following {@code metadata.continue}). Each answer is checked
 * to hold every VM. Measured right after a restart (the entities are still being recovered) and again once
 * warm; {@code vireo_vm_recoveries_total} before and after says whether listing recovered any entity.
 */
final class ListScenario {

    static final int PAGE = 500;

    record Result(Latencies namespace, Latencies firstPage, Latencies everyVm, long recoveriesBefore,
                  long recoveriesAfter, int namespaceVms, int allVms) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param namespaceVms the VMs {@code namespace} holds
     * @param allVms       the VMs of every namespace
     */
    static Result measure(ApiClient api, String namespace, int namespaceVms, int allVms, int samples) throws Exception {
        long before = api.metric("vireo_vm_recoveries_total");
        List<Double> whole = new ArrayList<>();
        List<Double> first = new ArrayList<>();
        List<Double> every = new ArrayList<>();
        String namespaceList = "/api/v1/namespaces/" + namespace + "/virtualmachines";
        for (int i = 0; i < samples; i++) {
            whole.add(timedGet(api, namespaceList, namespaceVms, false));
            first.add(timedGet(api, namespaceList + "?limit=" + PAGE, Math.min(PAGE, namespaceVms), namespaceVms > PAGE));
            if (i < Math.max(1, samples / 5)) {
                every.add(everyVm(api, allVms));
            }
        }
        long after = api.metric("vireo_vm_recoveries_total");
        return new Result(Latencies.of(whole), Latencies.of(first), Latencies.of(every), before, after, namespaceVms,
                allVms);
    }

    /** The time until the whole answer is in; then it is checked to hold {@code items} VMs. */
    private static double timedGet(ApiClient api, String path, int items, boolean more) throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> r = api.get(path);
        double millis = (System.nanoTime() - start) / 1e6;
        JsonNode list = checked(path, r);
        if (list.get("items").size() != items || more != list.at("/metadata/continue").isTextual()) {
            throw new IllegalStateException("GET " + path + ": " + list.get("items").size() + " VMs, expected " + items
                    + (more ? " and a continue token" : ""));
        }
        return millis;
    }

    private static JsonNode checked(String path, HttpResponse<String> r) throws Exception {
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET " + path + ": " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body());
    }

    /** Every VM of every namespace, a page at a time: the time spent waiting for the pages. */
    private static double everyVm(ApiClient api, int expected) throws Exception {
        int seen = 0;
        double millis = 0;
        String token = null;
        do {
            String path = "/api/v1/virtualmachines?limit=" + PAGE
                    + (token == null ? "" : "&continue=" + URLEncoder.encode(token, StandardCharsets.UTF_8));
            long start = System.nanoTime();
            HttpResponse<String> r = api.get(path);
            millis += (System.nanoTime() - start) / 1e6;
            JsonNode page = checked(path, r);
            seen += page.get("items").size();
            token = page.at("/metadata/continue").isTextual() ? page.at("/metadata/continue").asText() : null;
        } while (token != null);
        if (seen != expected) {
            throw new IllegalStateException("every namespace's list held " + seen + " VMs, expected " + expected);
        }
        return millis;
    }
}
