package dev.vireo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for the Vireo HTTP API, answering as DESIGN.md's contract says, so that the CLI's HTTP
 * side can be tested before the real server exists. VMs live in a map; actions run hooks the test sets.
 */
final class FakeVireo implements AutoCloseable {
    record Request(String method, String path, String query, String body) {
        JsonNode json() {
            try {
                return MAPPER.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }
    }

    private record Event(long offset, String type, ObjectNode data) {
    }

    static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern VM_PATH =
            Pattern.compile("/api/v1/namespaces/([^/]+)/virtualmachines(?:/([^/]+))?(?:/([^/]+))?(?:/([^/]+))?");
    private static final String POISON = "\u0000";

    /** What {@code GET …/migrations/{id}} answers, one after the other (the last one stays). */
    final List<ObjectNode> migrationStates = new java.util.ArrayList<>(List.of(MAPPER.createObjectNode()
            .put("phase", "Succeeded").put("source", "a").put("target", "b").put("durationMs", 900)
            .put("downtimeMs", 42)));

    final Map<String, ObjectNode> vms = new ConcurrentHashMap<>();
    final List<Request> requests = new CopyOnWriteArrayList<>();
    final Map<String, Consumer<String>> actions = new ConcurrentHashMap<>();
    volatile boolean eventsAvailable = true;
    volatile String console = "";

    private final List<Event> log = new CopyOnWriteArrayList<>();
    private final List<BlockingQueue<String>> subscribers = new CopyOnWriteArrayList<>();
    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-vireo");
        t.setDaemon(true);
        return t;
    });
    private long offset;

    FakeVireo() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Runs the CLI against this server (its --server added). */
    Cli cli(String... args) {
        String[] withServer = new String[args.length + 2];
        System.arraycopy(args, 0, withServer, 0, args.length);
        withServer[args.length] = "--server";
        withServer[args.length + 1] = url();
        return Cli.run(withServer);
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Adds a VM as the server would hold it. */
    ObjectNode vm(String name, String phase, String node) {
        ObjectNode vm = MAPPER.createObjectNode();
        vm.put("apiVersion", "vireo.dev/v1").put("kind", "VirtualMachine");
        vm.putObject("metadata").put("name", name).put("namespace", "default").put("uid", "uid-" + name)
                .put("generation", 1).put("resourceVersion", "1")
                .put("creationTimestamp", Instant.now().minusSeconds(300).toString());
        vm.putObject("spec").put("runStrategy", "Always").put("memory", "128Mi").putObject("cpu").put("cores", 1);
        ObjectNode status = vm.putObject("status").put("printableStatus", phase).put("incarnation", 1);
        if (node != null) {
            status.put("node", node);
        }
        status.putArray("conditions");
        vms.put("default/" + name, vm);
        return vm;
    }

    /** Moves a VM to a phase and announces it with an event of that type on the stream. */
    synchronized void transition(String name, String phase, String node, String eventType) {
        ObjectNode status = (ObjectNode) vms.get("default/" + name).get("status");
        status.put("printableStatus", phase);
        if (node == null) {
            status.remove("node");
        } else {
            status.put("node", node);
        }
        emit("default", name, eventType);
    }

    synchronized void emit(String namespace, String name, String type) {
        ObjectNode data = MAPPER.createObjectNode();
        data.put("seqNr", log.size() + 1).put("timestamp", Instant.now().toString()).put("type", type)
                .put("principal", "anonymous").put("requestId", "req-" + (log.size() + 1))
                .put("namespace", namespace).put("name", name).putObject("data");
        Event event = new Event(++offset, type, data);
        log.add(event);
        subscribers.forEach(q -> q.offer(sse(event)));
    }

    /** Runs the steps one after another, {@code millis} apart, off the request thread. */
    void later(long millis, Runnable... steps) {
        threads.execute(() -> {
            for (Runnable step : steps) {
                try {
                    Thread.sleep(millis);
                } catch (InterruptedException e) {
                    return;
                }
                step.run();
            }
        });
    }

    List<Request> requests(String method) {
        return requests.stream().filter(r -> r.method().equals(method)).toList();
    }

    private void handle(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String path = exchange.getRequestURI().getPath();
        String query = exchange.getRequestURI().getRawQuery();
        String method = exchange.getRequestMethod();
        requests.add(new Request(method, path, query, body));
        try {
            if (path.startsWith("/api/v1/nodes/")) {
                nodes(exchange, method, path.substring("/api/v1/nodes/".length()));
                return;
            }
            if (path.equals("/api/v1/events")) {
                events(exchange, params(query));
                return;
            }
            Matcher m = VM_PATH.matcher(path);
            if (!m.matches()) {
                error(exchange, 404, "NotFound", "no route " + path, null);
                return;
            }
            if ("migrations".equals(m.group(3)) && m.group(4) != null) {
                ObjectNode state = migrationStates.size() > 1 ? migrationStates.remove(0) : migrationStates.get(0);
                json(exchange, 200, state.deepCopy().put("id", m.group(4)));
                return;
            }
            route(exchange, method, m.group(1), m.group(2), m.group(3), body, params(query));
        } catch (RuntimeException e) {
            error(exchange, 500, "Internal", e.toString(), null);
        }
    }

    private void route(HttpExchange exchange, String method, String ns, String name, String sub, String body,
                       Map<String, String> params) throws IOException {
        String key = ns + "/" + name;
        if (name == null) {
            if (method.equals("GET")) {
                // pages as Vireo does: by name, limit at a time, the next page after the name in metadata.continue
                List<ObjectNode> all = vms.values().stream()
                        .filter(vm -> ns.equals(vm.path("metadata").path("namespace").asText()))
                        .filter(vm -> !params.containsKey("continue")
                                || vm.path("metadata").path("name").asText().compareTo(params.get("continue")) > 0)
                        .sorted(java.util.Comparator.comparing(vm -> vm.path("metadata").path("name").asText()))
                        .toList();
                int limit = params.containsKey("limit") ? Integer.parseInt(params.get("limit")) : 0;
                List<ObjectNode> page = limit > 0 && all.size() > limit ? all.subList(0, limit) : all;
                ObjectNode list = MAPPER.createObjectNode();
                if (page.size() < all.size()) {
                    list.putObject("metadata").put("continue", page.get(page.size() - 1).path("metadata").path("name")
                            .asText());
                }
                ArrayNode items = list.putArray("items");
                page.forEach(items::add);
                json(exchange, 200, list);
            } else {
                create(exchange, ns, (ObjectNode) MAPPER.readTree(body));
            }
            return;
        }
        ObjectNode vm = vms.get(key);
        if ("history".equals(sub)) {
            history(exchange, ns, name);
            return;
        }
        if (vm == null) {
            error(exchange, 404, "NotFound", "virtualmachine " + key + " not found", null);
            return;
        }
        if (sub == null) {
            switch (method) {
                case "GET" -> json(exchange, 200, vm);
                case "PUT" -> replace(exchange, key, vm, (ObjectNode) MAPPER.readTree(body));
                case "DELETE" -> {
                    actions.getOrDefault("delete", n -> vms.remove(key)).accept(name);
                    json(exchange, 200, MAPPER.createObjectNode());
                }
                default -> error(exchange, 405, "MethodNotAllowed", method, null);
            }
            return;
        }
        switch (sub) {
            case "state" -> {
                ObjectNode then = vm.deepCopy();
                then.with("status").put("at", params.get("at"));
                json(exchange, 200, then);
            }
            case "console" -> text(exchange, console);
            case "migrate" -> json(exchange, 202, MAPPER.createObjectNode().put("migrationId", "mig-1")
                    .put("source", vm.path("status").path("node").asText()));
            default -> {
                Consumer<String> action = actions.get(sub);
                if (action != null) {
                    action.accept(name);
                }
                json(exchange, 202, MAPPER.createObjectNode());
            }
        }
    }

    /** A drain moves the node's VMs (those given to {@link #vm} on that node) at once: the next GET shows none. */
    private void nodes(HttpExchange exchange, String method, String rest) throws IOException {
        String[] parts = rest.split("/");
        String node = parts[0];
        List<ObjectNode> on = vms.values().stream().filter(vm -> node.equals(vm.path("status").path("node").asText()))
                .toList();
        if (method.equals("POST") && parts.length == 2 && parts[1].equals("drain")) {
            ObjectNode answer = MAPPER.createObjectNode().put("node", node).put("cordoned", true);
            ArrayNode items = answer.putArray("items");
            for (ObjectNode vm : on) {
                String name = vm.path("metadata").path("name").asText();
                ObjectNode item = items.addObject().put("vm", "default/" + name);
                if (name.startsWith("stuck")) {
                    item.put("action", "NotMoved").put("reason", "it is Paused");
                } else {
                    item.put("action", "Migrating").put("migrationId", "mig-" + name);
                    vm.with("status").put("node", "elsewhere");
                }
            }
            json(exchange, 202, answer);
            return;
        }
        ObjectNode view = MAPPER.createObjectNode().put("name", node);
        ArrayNode names = view.putArray("virtualMachines");
        on.forEach(vm -> names.add("default/" + vm.path("metadata").path("name").asText()));
        json(exchange, 200, view);
    }

    private void create(HttpExchange exchange, String ns, ObjectNode manifest) throws IOException {
        String name = manifest.path("metadata").path("name").asText();
        if ("lots".equals(manifest.path("spec").path("memory").asText())) {
            error(exchange, 400, "Invalid", "spec.memory must be a Kubernetes quantity such as 128Mi, not lots",
                    "spec.memory");
            return;
        }
        if (vms.containsKey(ns + "/" + name)) {
            error(exchange, 409, "AlreadyExists", "virtualmachine " + ns + "/" + name + " already exists",
                    "metadata.name");
            return;
        }
        ObjectNode vm = vm(name, manifest.path("spec").path("runStrategy").asText("Always").equals("Halted")
                ? "Stopped" : "Scheduling", null);
        vm.set("spec", manifest.get("spec"));
        json(exchange, 201, vm);
    }

    private void replace(HttpExchange exchange, String key, ObjectNode vm, ObjectNode manifest) throws IOException {
        String expected = vm.path("metadata").path("resourceVersion").asText();
        if (!expected.equals(manifest.path("metadata").path("resourceVersion").asText())) {
            error(exchange, 409, "Conflict", "resourceVersion is stale", "metadata.resourceVersion");
            return;
        }
        vm.set("spec", manifest.get("spec"));
        vm.with("metadata").put("resourceVersion", String.valueOf(Integer.parseInt(expected) + 1));
        json(exchange, 200, vm);
    }

    private void history(HttpExchange exchange, String ns, String name) throws IOException {
        ObjectNode answer = MAPPER.createObjectNode();
        ArrayNode items = answer.putArray("items");
        log.stream().filter(e -> ns.equals(e.data().get("namespace").asText()) && name.equals(e.data().get("name").asText()))
                .forEach(e -> items.add(e.data()));
        json(exchange, 200, answer);
    }

    private void events(HttpExchange exchange, Map<String, String> params) throws IOException {
        if (!eventsAvailable) {
            error(exchange, 404, "NotFound", "no event stream here", null);
            return;
        }
        BlockingQueue<String> queue = new LinkedBlockingQueue<>();
        synchronized (this) {
            if (params.containsKey("since")) {
                long since = Long.parseLong(params.get("since"));
                log.stream().filter(e -> e.offset() > since).forEach(e -> queue.offer(sse(e)));
            }
            subscribers.add(queue);
        }
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody()) {
            // as pekko-http's keep-alive heartbeat: an event whose data is empty
            out.write(": connected\n\ndata:\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            while (true) {
                String event = queue.poll(30, TimeUnit.SECONDS);
                if (event == null || event.equals(POISON)) {
                    return;
                }
                if (matches(event, params)) {
                    out.write(event.getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
            }
        } catch (InterruptedException | IOException e) {
            // the client went away
        } finally {
            subscribers.remove(queue);
        }
    }

    private static boolean matches(String sse, Map<String, String> params) {
        return (!params.containsKey("name") || sse.contains("\"name\":\"" + params.get("name") + "\""))
                && (!params.containsKey("type") || sse.contains("event: " + params.get("type") + "\n"));
    }

    private static String sse(Event event) {
        return "id: " + event.offset() + "\nevent: " + event.type() + "\ndata: " + event.data() + "\n\n";
    }

    private static Map<String, String> params(String query) {
        Map<String, String> params = new HashMap<>();
        if (query != null) {
            for (String pair : query.split("&")) {
                String[] kv = pair.split("=", 2);
                params.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
                        kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
            }
        }
        return params;
    }

    static void error(HttpExchange exchange, int status, String code, String message, String field) throws IOException {
        ObjectNode body = MAPPER.createObjectNode().put("code", code).put("message", message);
        body.put("field", field);
        json(exchange, status, body);
    }

    static void json(HttpExchange exchange, int status, JsonNode body) throws IOException {
        send(exchange, status, "application/json", body.toString());
    }

    private static void text(HttpExchange exchange, String text) throws IOException {
        send(exchange, 200, "text/plain; charset=utf-8", text);
    }

    static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        } else {
            exchange.close();
        }
    }

    @Override
    public void close() {
        new ArrayList<>(subscribers).forEach(q -> q.offer(POISON));
        server.stop(0);
        threads.shutdownNow();
    }
}
