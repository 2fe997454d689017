package dev.vireo.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Vireo's HTTP API as a user sees it: plain requests with java.net.http, JSON answers. */
final class Api {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String JSON_TYPE = "application/json";
    static final String YAML_TYPE = "application/yaml";

    /** One answer: status, the X-Request-Id it carried, and the body as JSON (missing if not JSON). */
    record Response(int status, String requestId, String text, JsonNode json) {
        JsonNode at(String pointer) {
            return json.at(pointer);
        }

        String phase() {
            return json.at("/status/printableStatus").asText(null);
        }

        String resourceVersion() {
            return json.at("/metadata/resourceVersion").asText(null);
        }

        long incarnation() {
            return json.at("/status/incarnation").asLong();
        }

        boolean ok() {
            return status >= 200 && status < 300;
        }

        @Override
        public String toString() {
            return status + " " + text;
        }
    }

    /**
     * The admin token every Vireo started by the tests has: surefire sets {@code VIREO_BOOTSTRAP_TOKEN}, which
     * a first start writes into {@code <data>/tokens.csv} (child JVMs inherit it).
     */
    static final String ADMIN_TOKEN = System.getenv("VIREO_BOOTSTRAP_TOKEN");

    private final URI base;
    private final HttpClient http;
    private final String token;

    /** A client of the Vireo on {@code port} that authenticates as the admin of the token file. */
    Api(int port) {
        this(URI.create("http://127.0.0.1:" + port), HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build(), ADMIN_TOKEN);
    }

    Api(URI base, HttpClient http, String token) {
        this.base = base;
        this.http = http;
        this.token = token;
    }

    /** The same Vireo, as the user of {@code token} (null: no Authorization header at all). */
    Api as(String token) {
        return new Api(base, http, token);
    }

    String token() {
        return token;
    }

    /** Adds this client's {@code Authorization: Bearer} header, if it has a token. */
    HttpRequest.Builder authorized(HttpRequest.Builder request) {
        return token == null ? request : request.header("Authorization", "Bearer " + token);
    }

    URI base() {
        return base;
    }

    HttpClient http() {
        return http;
    }

    static String vms(String namespace) {
        return "/api/v1/namespaces/" + namespace + "/virtualmachines";
    }

    static String vm(String name) {
        return vms("default") + "/" + name;
    }

    Response get(String path) {
        return send(request(path).GET(), null);
    }

    Response post(String path, String contentType, String body, String requestId) {
        HttpRequest.Builder r = request(path).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        return send(r, requestId);
    }

    Response put(String path, String contentType, String body) {
        return send(request(path).header("Content-Type", contentType).PUT(HttpRequest.BodyPublishers.ofString(body)),
                null);
    }

    Response delete(String path) {
        return send(request(path).DELETE(), null);
    }

    Response deleteWithId(String path, String requestId) {
        return send(request(path).DELETE(), requestId);
    }

    Response create(String manifestJson) {
        return create("default", manifestJson);
    }

    Response create(String namespace, String manifestJson) {
        return post(vms(namespace), JSON_TYPE, manifestJson, null);
    }

    /** {@code POST .../{name}/{action}} with an empty body. */
    Response action(String name, String action) {
        return action(name, action, null);
    }

    Response action(String name, String action, String requestId) {
        return send(request(vm(name) + "/" + action).POST(HttpRequest.BodyPublishers.noBody()), requestId);
    }

    /** The VM's history entries, empty when it never existed. */
    List<JsonNode> history(String name) {
        Response r = get(vm(name) + "/history");
        List<JsonNode> items = new ArrayList<>();
        if (r.status() == 200) {
            r.json().path("items").forEach(items::add);
        }
        return items;
    }

    /** {@code vireo_vm_recoveries_total} on /metrics: the VMs rebuilt from their logs since start. */
    long vmRecoveries() {
        for (String line : get("/metrics").text().split("\n")) {
            if (line.startsWith("vireo_vm_recoveries_total ")) {
                return Long.parseLong(line.substring(line.indexOf(' ') + 1).trim());
            }
        }
        throw new AssertionError("no vireo_vm_recoveries_total on /metrics");
    }

    Optional<Response> find(String name) {
        Response r = get(vm(name));
        return r.status() == 404 ? Optional.empty() : Optional.of(r);
    }

    /** Polls GET until the VM is in {@code phase}; fails with the last answer at the deadline. */
    Response awaitPhase(String name, String phase) {
        return awaitPhase(name, phase, Duration.ofSeconds(60));
    }

    Response awaitPhase(String name, String phase, Duration within) {
        return Eventually.get("VM " + name + " to be " + phase, within, () -> get(vm(name)),
                r -> r.status() == 200 && phase.equals(r.phase()));
    }

    Response awaitGone(String name) {
        return Eventually.get("VM " + name + " to be deleted", Duration.ofSeconds(60), () -> get(vm(name)),
                r -> r.status() == 404);
    }

    HttpRequest.Builder request(String path) {
        return authorized(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30)));
    }

    private Response send(HttpRequest.Builder request, String requestId) {
        if (requestId != null) {
            request.header("X-Request-Id", requestId);
        }
        try {
            HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.headers().firstValue("X-Request-Id").orElse(null), r.body(),
                    parse(r.body()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static JsonNode parse(String text) {
        try {
            return text == null || text.isBlank() ? MissingNode.getInstance() : JSON.readTree(text);
        } catch (IOException e) {
            return MissingNode.getInstance();
        }
    }
}
