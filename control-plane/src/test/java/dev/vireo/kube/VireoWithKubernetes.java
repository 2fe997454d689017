package dev.vireo.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vireo.Vireo;
import dev.vireo.VireoSettings;
import dev.vireo.persistence.EventLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** A whole Vireo in this JVM (test hypervisor), syncing with the Kubernetes API that {@code kubeconfig} names. */
final class VireoWithKubernetes implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    private final Vireo vireo;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private VireoWithKubernetes(Vireo vireo) {
        this.vireo = vireo;
    }

    static VireoWithKubernetes start(Path dataDir, Path kubeconfig) throws Exception {
        return start(dataDir, kubeconfig, Map.of());
    }

    /** As {@link #start(Path, Path)}, with more configuration. */
    static VireoWithKubernetes start(Path dataDir, Path kubeconfig, Map<String, Object> more) throws Exception {
        Map<String, Object> config = new java.util.HashMap<>(more);
        config.putAll(Map.of(
                "vireo.vm.backoff-base", "1s",
                "vireo.vm.backoff-max", "2s",
                "vireo.kubernetes.kubeconfig", kubeconfig.toString(),
                // resyncs every second: they must never replay a change
                "vireo.kubernetes.resync", "1s",
                "vireo.kubernetes.retry-base", "200ms"));
        VireoWithKubernetes v = new VireoWithKubernetes(Vireo.start(new VireoSettings("127.0.0.1", 0, dataDir,
                "test:///default", null, 0, "local", config)));
        eventually("Vireo to be ready", Duration.ofSeconds(60), () -> v.send("GET", "/readyz", null), r -> r.status == 200);
        return v;
    }

    record Response(int status, JsonNode json) {
    }

    Response send(String method, String path, String json) {
        // the admin token every Vireo of the tests writes into <data>/tokens.csv (surefire sets it)
        return send(method, path, json, System.getenv("VIREO_BOOTSTRAP_TOKEN"));
    }

    /** As {@link #send(String, String, String)}, with {@code token} (none if null). */
    Response send(String method, String path, String json, String token) {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + vireo.port() + path))
                .timeout(Duration.ofSeconds(30));
        if (token != null) {
            r.header("Authorization", "Bearer " + token);
        }
        r.method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            r.header("Content-Type", "application/json");
        }
        try {
            HttpResponse<String> response = http.send(r.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(response.statusCode(), response.body().isBlank() ? JSON.missingNode()
                    : JSON.readTree(response.body()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String vm(String name) {
        return "/api/v1/namespaces/default/virtualmachines/" + name;
    }

    /** The VM's history over HTTP: kept after the VM is deleted. */
    List<JsonNode> history(String name) {
        List<JsonNode> items = new ArrayList<>();
        send("GET", vm(name) + "/history", null).json().path("items").forEach(items::add);
        return items;
    }

    /** Events that commands from Kubernetes caused (their request ids start with kube-). */
    List<String> fromKubernetes(String name) {
        return history(name).stream().filter(e -> e.path("requestId").asText().startsWith("kube-"))
                .map(e -> e.path("type").asText() + "@" + e.path("requestId").asText()).toList();
    }

    /** Where the status projection has got to in the event log (stored in the journal's database). */
    long projectionOffset() {
        return EventLog.get(vireo.system()).projectionOffset(StatusProjection.NAME).toCompletableFuture().join();
    }

    @Override
    public void close() {
        vireo.close();
    }

    static <T> T eventually(String what, Duration within, Supplier<T> probe, Predicate<T> done) {
        Instant deadline = Instant.now().plus(within);
        T last = null;
        RuntimeException error = null;
        while (Instant.now().isBefore(deadline)) {
            try {
                last = probe.get();
                error = null;
                if (done.test(last)) {
                    return last;
                }
            } catch (RuntimeException e) {
                error = e;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new AssertionError("gave up after " + within.toSeconds() + "s waiting for " + what + "; last seen: "
                + (error != null ? error : last));
    }
}
