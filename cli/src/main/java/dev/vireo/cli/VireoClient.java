package dev.vireo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;

/** The Vireo HTTP API as the CLI sees it: paths, JSON bodies, and errors turned into {@link CommandFailure}s. */
final class VireoClient {
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

    private final URI server;
    private final HttpClient http;
    private final String token;

    VireoClient(URI server) {
        this(server, null, null);
    }

    /** {@code token} (may be null) goes with every request; {@code ca} (may be null) is the CA to trust. */
    VireoClient(URI server, String token, java.nio.file.Path ca) {
        this.server = server;
        this.token = token;
        // HTTP/1.1: no h2c upgrade dance, and streamed responses (SSE, console) stay simple.
        HttpClient.Builder http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5));
        if (ca != null) {
            http.sslContext(TrustedCa.sslContext(ca));
        }
        this.http = http.build();
    }

    URI server() {
        return server;
    }

    HttpClient http() {
        return http;
    }

    /** The list of the VMs of every namespace. */
    static final String ALL_VMS = "/api/v1/virtualmachines";

    static String vmsPath(String namespace) {
        return "/api/v1/namespaces/" + encode(namespace) + "/virtualmachines";
    }

    static String vmPath(String namespace, String name) {
        return vmsPath(namespace) + "/" + encode(name);
    }

    /** A query string from the non-null entries, with a leading '?' when not empty. */
    static String query(Map<String, String> params) {
        StringJoiner joined = new StringJoiner("&", "?", "");
        joined.setEmptyValue("");
        params.forEach((key, value) -> {
            if (value != null) {
                joined.add(encode(key) + "=" + encode(value));
            }
        });
        return joined.toString();
    }

    static Map<String, String> params(String... keysAndValues) {
        Map<String, String> params = new LinkedHashMap<>();
        for (int i = 0; i + 1 < keysAndValues.length; i += 2) {
            params.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return params;
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    JsonNode get(String path) {
        return send("GET", path, null);
    }

    /** The resource, or empty when the server answers 404. */
    Optional<JsonNode> find(String path) {
        try {
            return Optional.of(get(path));
        } catch (ApiError e) {
            if (e.status() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    JsonNode send(String method, String path, JsonNode body) {
        HttpRequest.Builder request = request(path).timeout(REQUEST_TIMEOUT).header("Accept", "application/json");
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(Formats.compact(body)));
        }
        HttpResponse<String> response = exchange(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw errorOf(response.statusCode(), response.body());
        }
        return parse(response.body());
    }

    /** A streamed response body (console); the caller closes it. */
    InputStream stream(String path, String accept) {
        HttpRequest request = request(path).header("Accept", accept).GET().build();
        HttpResponse<InputStream> response = exchange(request, HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() / 100 != 2) {
            try (InputStream body = response.body()) {
                throw errorOf(response.statusCode(), new String(body.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw errorOf(response.statusCode(), "");
            }
        }
        return response.body();
    }

    HttpRequest.Builder request(String path) {
        // Relative to the server URL, so that a path prefix (a reverse proxy) is kept.
        HttpRequest.Builder request = HttpRequest.newBuilder(server.resolve(path.startsWith("/") ? path.substring(1) : path));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return request;
    }

    private <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request, handler);
        } catch (IOException e) {
            throw failureOf(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailure(CommandFailure.REJECTED, "interrupted");
        }
    }

    /** Maps a transport failure to what the user can do about it. */
    CommandFailure failureOf(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof HttpConnectTimeoutException) {
                return new ServerUnreachable(server, "connection timed out");
            }
            if (cause instanceof ConnectException) {
                return new ServerUnreachable(server, "connection refused");
            }
            if (cause instanceof UnknownHostException) {
                return new ServerUnreachable(server, "unknown host " + cause.getMessage());
            }
            if (cause instanceof HttpTimeoutException) {
                return new CommandFailure(CommandFailure.REJECTED,
                        "Vireo at " + ServerUnreachable.display(server) + " did not answer within " + REQUEST_TIMEOUT.toSeconds() + "s");
            }
        }
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new CommandFailure(CommandFailure.REJECTED, "talking to Vireo at " + ServerUnreachable.display(server) + " failed: " + why);
    }

    /** The server's error body, or a description of a body that is not one. */
    static ApiError errorOf(int status, String body) {
        JsonNode json = parseQuietly(body);
        String message = Formats.text(json, "message");
        if (message == null) {
            String text = body == null ? "" : body.strip();
            message = "the server answered HTTP " + status + (text.isEmpty() ? "" : ": " + firstLine(text));
        }
        return new ApiError(status, Formats.text(json, "code"), message, Formats.text(json, "field"));
    }

    private static String firstLine(String text) {
        int end = text.indexOf('\n');
        String line = end < 0 ? text : text.substring(0, end);
        return line.length() > 200 ? line.substring(0, 200) + "…" : line;
    }

    private static JsonNode parse(String body) {
        if (body == null || body.isBlank()) {
            return MissingNode.getInstance();
        }
        try {
            return Formats.JSON.readTree(body);
        } catch (IOException e) {
            throw new CommandFailure(CommandFailure.REJECTED, "the server answered something that is not JSON: " + firstLine(body));
        }
    }

    private static JsonNode parseQuietly(String body) {
        try {
            return body == null || body.isBlank() ? MissingNode.getInstance() : Formats.JSON.readTree(body);
        } catch (IOException e) {
            return MissingNode.getInstance();
        }
    }
}
