package dev.vireo.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/** The few API calls the benchmarks make, over plain HTTP like any client. */
final class ApiClient {

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;

    /**
     * The admin token of every Vireo the benchmarks start: they give it as {@code VIREO_BOOTSTRAP_TOKEN}, which
     * the first start writes into {@code <data>/tokens.csv} (see {@link #childEnvironment}).
     */
    static final String TOKEN = System.getenv("VIREO_BOOTSTRAP_TOKEN") != null
            ? System.getenv("VIREO_BOOTSTRAP_TOKEN") : "bench-" + java.util.UUID.randomUUID();

    ApiClient(String base) {
        this.base = base;
    }

    /** What a Vireo JVM the benchmarks start needs: the admin token above, and a CLI config of its own. */
    static ProcessBuilder childEnvironment(ProcessBuilder process, Path dataDir) {
        process.environment().put("VIREO_BOOTSTRAP_TOKEN", TOKEN);
        process.environment().put("VIREO_CONFIG", dataDir.resolve("cli-config.json").toString());
        return process;
    }

    private static HttpRequest.Builder request(URI uri) {
        return HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + TOKEN);
    }

    static String manifest(String name, String runStrategy) {
        return manifest(name, runStrategy, "1Mi");
    }

    static String manifest(String name, String runStrategy, String memory) {
        return "{\"apiVersion\":\"vireo.dev/v1\",\"kind\":\"VirtualMachine\",\"metadata\":{\"name\":\"" + name
                + "\"},\"spec\":{\"runStrategy\":\"" + runStrategy + "\",\"cpu\":{\"cores\":1},\"memory\":\""
                + memory + "\"}}";
    }

    CompletableFuture<HttpResponse<String>> create(String namespace, String name, String runStrategy) {
        return http.sendAsync(request(vms(namespace))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(manifest(name, runStrategy))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    CompletableFuture<HttpResponse<String>> replace(String namespace, String name, String manifest) {
        return http.sendAsync(request(URI.create(vms(namespace) + "/" + name))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(manifest)).build(), HttpResponse.BodyHandlers.ofString());
    }

    CompletableFuture<HttpResponse<String>> action(String namespace, String name, String action) {
        return http.sendAsync(request(URI.create(vms(namespace) + "/" + name + "/" + action))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws Exception {
        return http.send(request(URI.create(base + path)).timeout(Duration.ofMinutes(2)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String json) throws Exception {
        return http.send(request(URI.create(base + path)).timeout(Duration.ofMinutes(2))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> delete(String path) throws Exception {
        return http.send(request(URI.create(base + path)).timeout(Duration.ofMinutes(2)).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Sends {@code count} requests made by {@code request}, at most {@code inFlight} at a time, and fails
     * unless every one answers {@code expectedStatus}.
     */
    static void many(int count, int inFlight, int expectedStatus,
                     IntFunction<CompletableFuture<HttpResponse<String>>> request) throws Exception {
        Semaphore permits = new Semaphore(inFlight);
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            permits.acquire();
            sent.add(request.apply(i).whenComplete((r, e) -> permits.release()));
        }
        for (CompletableFuture<HttpResponse<String>> f : sent) {
            HttpResponse<String> r = f.get();
            if (r.statusCode() != expectedStatus) {
                throw new IllegalStateException(r.request().method() + " " + r.uri() + ": " + r.statusCode() + " "
                        + r.body());
            }
        }
    }

    /** An open event stream; {@link #close} ends it (cancelling the future alone would leave the connection open). */
    static final class Subscription implements AutoCloseable {
        private final CompletableFuture<InputStream> body;

        private Subscription(CompletableFuture<InputStream> body) {
            this.body = body;
        }

        @Override
        public void close() {
            body.thenAccept(in -> {
                try {
                    in.close();
                } catch (IOException e) {
                    // closing anyway
                }
            });
        }
    }

    /** Opens the SSE stream and hands each {@code data:} line to {@code onData} on its own thread until closed. */
    Subscription subscribe(String query, Consumer<String> onData) {
        HttpRequest request = request(URI.create(base + "/api/v1/events" + query))
                .header("Accept", "text/event-stream").build();
        CompletableFuture<InputStream> body = http.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream())
                .thenApply(HttpResponse::body);
        body.thenAccept(in -> {
            Thread reader = new Thread(() -> {
                try (BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = lines.readLine()) != null) {
                        // an empty data line is a keep-alive heartbeat, not an event (WHATWG: not dispatched)
                        if (line.startsWith("data:") && !line.substring(5).isBlank()) {
                            onData.accept(line.substring(5));
                        }
                    }
                } catch (IOException e) {
                    // closed by the client
                }
            }, "sse-reader");
            reader.setDaemon(true);
            reader.start();
        });
        return new Subscription(body);
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
