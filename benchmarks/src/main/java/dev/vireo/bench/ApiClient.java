package dev.vireo.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** The few API calls the benchmarks make, over plain HTTP like any client. */
final class ApiClient {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;

    ApiClient(String base) {
        this.base = base;
    }

    static String manifest(String name, String runStrategy) {
        return "{\"apiVersion\":\"vireo.dev/v1\",\"kind\":\"VirtualMachine\",\"metadata\":{\"name\":\"" + name
                + "\"},\"spec\":{\"runStrategy\":\"" + runStrategy + "\",\"cpu\":{\"cores\":1},\"memory\":\"1Mi\"}}";
    }

    CompletableFuture<HttpResponse<String>> create(String namespace, String name, String runStrategy) {
        return http.sendAsync(HttpRequest.newBuilder(vms(namespace))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(manifest(name, runStrategy))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    CompletableFuture<HttpResponse<String>> action(String namespace, String name, String action) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create(vms(namespace) + "/" + name + "/" + action))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Opens the SSE stream and hands each {@code data:} line to {@code onData} until the stream ends. */
    CompletableFuture<Void> subscribe(String query, Consumer<String> onData) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/api/v1/events" + query))
                .header("Accept", "text/event-stream").build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofLines()).thenAccept(response -> {
            try (Stream<String> lines = response.body()) {
                lines.filter(l -> l.startsWith("data:")).forEach(l -> onData.accept(l.substring(5)));
            }
        });
    }

    long metric(String name) throws Exception {
        for (String line : get("/metrics").body().split("\n")) {
            if (line.startsWith(name + " ")) {
                return Long.parseLong(line.substring(name.length() + 1).trim());
            }
        }
        throw new IllegalStateException("no metric " + name);
    }

    private URI vms(String namespace) {
        return URI.create(base + "/api/v1/namespaces/" + namespace + "/virtualmachines");
    }
}
