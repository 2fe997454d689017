package dev.vireo.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Mutated HTTP requests against a running Vireo, one connection each: valid requests of every kind of the API,
 * with their method, request line, headers or body mutated. A finding is a 5xx other than the protocol answers
 * 501 (unknown method) and 505 (HTTP version), an error not in the {@code {"code","message","field"}} shape, a
 * request neither answered nor closed within {@link #PATIENCE} (a hang), or a change of the VMs (their names and
 * resourceVersions) across a request that was refused. Counts what it sent by mutation class and what came back
 * by status.
 */
final class HttpFuzzer {

    static final Duration PATIENCE = Duration.ofSeconds(15);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int NAMES = 12;
    private static final String[] METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE",
            "CONNECT", "BREW", "get", "", "G E T", "POSTPOSTPOSTPOSTPOSTPOST", "\u00c9T\u00c9"};
    private static final String[] ACTIONS = {"start", "stop", "restart", "pause", "unpause", "migrate", "history",
            "state", "console", "snapshots", "restore"};
    private static final String[] NASTY = {"", "null", "-1", "0", "1e309", "NaN", "\u0000", "%00", "..", "../..", "/",
            "\u202e", "\u0430pp", "A", "a".repeat(300), "1Ei", "9999999999999999999999Gi", "{}", "[]", "\"", "\\",
            "%", "%zz", "%2F", "\r\n", "*", "?", "#", "~", "=", "&"};

    /** What was sent and what came back, and every finding with the request that caused it. */
    record Report(Map<String, Integer> sentByClass, Map<String, Integer> answeredByStatus, List<String> findings,
                  long requests, Duration took) {
    }

    private record Request(String mutation, byte[] bytes, String requestId, boolean streams) {
        /** Whether the request may change a VM when it is accepted (its method is not GET or HEAD). */
        boolean changes() {
            String line = new String(bytes, 0, Math.min(8, bytes.length), StandardCharsets.ISO_8859_1);
            return !line.startsWith("GET ") && !line.startsWith("HEAD ");
        }
    }

    private record Answer(int status, String head, String body, boolean closed, Duration took) {
    }

    private final int port;
    private final Random random;
    /** The namespace this fuzzer's VMs live in. */
    private final String namespace;
    /** Whether only this namespace's VMs are compared (several fuzzers at once, each on its own namespace). */
    private final boolean ownNamespaceOnly;
    private final Map<String, Integer> sent = new TreeMap<>();
    private final Map<String, Integer> answered = new TreeMap<>();
    private final List<String> findings = new ArrayList<>();
    private long counter;

    HttpFuzzer(int port, long seed, String namespace, boolean ownNamespaceOnly) {
        this.port = port;
        this.random = new Random(seed);
        this.namespace = namespace;
        this.ownNamespaceOnly = ownNamespaceOnly;
    }

    /**
     * Sends {@code count} requests (a third of them unmutated), or as many as fit before {@code until} (nanoTime),
     * checking each; {@code progress} every 10% (and every 10,000).
     */
    Report run(long count, long until, java.util.function.Consumer<String> progress) throws IOException {
        long start = System.nanoTime();
        Map<String, String> before = vms();
        long i = 0;
        for (; i < count && System.nanoTime() - until < 0; i++) {
            Request request = next();
            Answer answer = send(request);
            sent.merge(request.mutation(), 1, Integer::sum);
            String statusClass = answer.status() == 0 ? (answer.closed() ? "closed-unanswered" : "hang")
                    : Integer.toString(answer.status());
            answered.merge(statusClass, 1, Integer::sum);
            judge(request, answer);
            if (answer.status() >= 200 && answer.status() < 300) {
                if (request.changes()) {
                    before = settled();
                }
            } else {
                Map<String, String> after = vms();
                if (!after.equals(before)) {
                    Map<String, String> settledAfter = settled();
                    if (!settledAfter.equals(before)) {
                        finding("state changed across a refused request (" + answer.status() + ")", request,
                                answer, "before " + before + " after " + settledAfter);
                    }
                    before = settledAfter;
                }
            }
            if (count >= 10 && (i + 1) % Math.min(10_000, count / 10) == 0) {
                progress.accept((i + 1) + " of " + count + " sent in " + (System.nanoTime() - start) / 1_000_000_000
                        + " s; by class " + sent + "; answers " + answered + "; findings " + findings.size());
            }
        }
        return new Report(sent, answered, findings, i, Duration.ofNanos(System.nanoTime() - start));
    }

    private void judge(Request request, Answer answer) {
        int status = answer.status();
        if (status == 0 && !answer.closed()) {
            finding("no answer and no close within " + PATIENCE.toSeconds() + " s", request, answer, "");
        } else if (status >= 500 && status != 501 && status != 505) {
            finding("a 5xx", request, answer, "");
        } else if (status >= 400 && !request.mutation().equals("method") || status >= 400 && !isHead(request)) {
            boolean json = answer.head().toLowerCase(Locale.ROOT).contains("content-type: application/json")
                    && answer.body().contains("\"code\"") && answer.body().contains("\"message\"");
            if (!json && !isHead(request)) {
                finding("an error not in the {code,message,field} shape", request, answer, "");
            }
        }
    }

    private static boolean isHead(Request request) {
        return new String(request.bytes(), 0, Math.min(5, request.bytes().length), StandardCharsets.ISO_8859_1)
                .startsWith("HEAD ");
    }

    private void finding(String what, Request request, Answer answer, String detail) {
        if (findings.size() < 200) {
            String text = new String(request.bytes(), 0, Math.min(600, request.bytes().length),
                    StandardCharsets.ISO_8859_1);
            findings.add(what + " [" + request.mutation() + "] " + detail + "\n  request: " + text.replace("\r\n", "\\r\\n")
                    + "\n  answer: " + answer.status() + " " + answer.head().replace("\r\n", " | ") + " "
                    + answer.body().substring(0, Math.min(300, answer.body().length())));
        }
    }

    // ---- requests -------------------------------------------------------------------------------------------

    private Request next() {
        counter++;
        String requestId = "fuzz-" + counter;
        Seed seed = seed();
        int roll = random.nextInt(15);
        String mutation = roll < 5 ? "valid" : switch (roll) {
            case 5 -> "method";
            case 6, 7 -> "path";
            case 8 -> "query";
            case 9, 10 -> "header";
            case 11, 12, 13 -> seed.body == null ? "header" : "body";
            default -> "version";
        };
        String method = seed.method;
        String path = seed.path;
        String version = "HTTP/1.1";
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Host", "127.0.0.1");
        headers.put("X-Request-Id", requestId);
        headers.put("Connection", "close");
        if (Api.ADMIN_TOKEN != null) {
            // authenticated, so that the mutations reach the routes behind authentication (one of them mutates it)
            headers.put("Authorization", "Bearer " + Api.ADMIN_TOKEN);
        }
        byte[] body = seed.body == null ? new byte[0] : seed.body.getBytes(StandardCharsets.UTF_8);
        if (seed.body != null) {
            headers.put("Content-Type", seed.contentType);
        }
        List<String> raw = new ArrayList<>();
        switch (mutation) {
            case "method" -> method = pick(METHODS);
            case "path" -> path = mutatePath(path);
            case "query" -> path = path + (path.contains("?") ? "&" : "?") + pick(new String[]{"since", "at", "limit",
                    "continue", "labelSelector", "force", "follow", "namespace", "type", "name"}) + "=" + encodeSome(pick(NASTY));
            case "header" -> mutateHeaders(headers, raw);
            case "body" -> body = mutateBody(seed);
            case "version" -> version = pick(new String[]{"HTTP/1.0", "HTTP/2.0", "HTTP/1.7", "HTTP/1", "http/1.1",
                    "HTTP/1.1 extra", "", "HTTP/11"});
            default -> {
            }
        }
        if (!headers.containsKey("Content-Length") && !headers.containsKey("Transfer-Encoding")
                && (body.length > 0 || method.equals("POST") || method.equals("PUT"))) {
            headers.put("Content-Length", Integer.toString(body.length));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes((method + " " + path + (version.isEmpty() ? "" : " " + version) + "\r\n")
                .getBytes(StandardCharsets.UTF_8));
        headers.forEach((k, v) -> out.writeBytes((k + ": " + v + "\r\n").getBytes(StandardCharsets.UTF_8)));
        raw.forEach(line -> out.writeBytes(line.getBytes(StandardCharsets.ISO_8859_1)));
        out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(body);
        return new Request(mutation, out.toByteArray(), requestId, seed.streams);
    }

    private record Seed(String method, String path, String contentType, String body, boolean streams) {
    }

    private Seed seed() {
        String name = "vm-" + random.nextInt(NAMES);
        String vms = "/api/v1/namespaces/" + namespace + "/virtualmachines";
        return switch (random.nextInt(16)) {
            case 0, 1 -> new Seed("POST", vms, "application/json", manifest(name).toString(), false);
            case 2 -> new Seed("POST", vms, "application/yaml", yaml(name), false);
            case 3 -> new Seed("GET", vms, null, null, false);
            case 4 -> new Seed("GET", vms + "/" + name, null, null, false);
            case 5 -> {
                ObjectNode m = manifest(name);
                ((ObjectNode) m.get("spec")).put("memory", pick(new String[]{"64Mi", "128Mi", "96Mi"}));
                yield new Seed("PUT", vms + "/" + name, "application/json", m.toString(), false);
            }
            case 6 -> new Seed("DELETE", vms + "/" + name, null, null, false);
            case 7 -> new Seed("POST", vms + "/" + name + "/" + pick(new String[]{"stop", "unpause", "migrate"}),
                    "application/json", "{\"targetNode\": \"nowhere\"}", false);
            case 8 -> new Seed("GET", vms + "/" + name + "/history", null, null, false);
            case 9 -> new Seed("GET", vms + "/" + name + "/state?at=2026-01-01T00:00:00Z", null, null, false);
            case 10 -> new Seed("GET", "/api/v1/virtualmachines?limit=5&labelSelector=suite%3Dfuzz", null, null, false);
            case 11 -> new Seed("GET", "/api/v1/events?since=0&namespace=" + namespace, null, null, true);
            case 12 -> new Seed("GET", "/api/v1/nodes", null, null, false);
            case 13 -> new Seed("POST", "/api/v1/nodes/no-such-node/cordon", null, null, false);
            case 14 -> new Seed("GET", vms + "/" + name + "/console?follow=false", null, null, false);
            default -> new Seed("GET", pick(new String[]{"/healthz", "/readyz", "/metrics"}), null, null, false);
        };
    }

    private static ObjectNode manifest(String name) {
        try {
            return (ObjectNode) JSON.readTree("""
                    {"apiVersion": "vireo.dev/v1", "kind": "VirtualMachine",
                     "metadata": {"name": "%s", "labels": {"suite": "fuzz"}},
                     "spec": {"runStrategy": "Halted", "cpu": {"cores": 1}, "memory": "64Mi",
                              "terminationGracePeriodSeconds": 5}}""".formatted(name));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String yaml(String name) {
        return """
                apiVersion: vireo.dev/v1
                kind: VirtualMachine
                metadata:
                  name: %s
                  labels: {suite: fuzz}
                spec:
                  runStrategy: Halted
                  cpu: {cores: 1}
                  memory: 64Mi
                """.formatted(name);
    }

    private String mutatePath(String path) {
        StringBuilder p = new StringBuilder(path);
        switch (random.nextInt(9)) {
            case 0 -> p.setCharAt(random.nextInt(p.length()), (char) (33 + random.nextInt(94)));
            case 1 -> p.insert(p.lastIndexOf("/") + 1, pick(new String[]{"../", "./", "%2e%2e/", "..%2f", "//"}));
            case 2 -> p.append("/").append(pick(new String[]{"%00", "%zz", "%ff", "%2F", "\u00e9", "%C0%AE"}));
            case 3 -> p.append("/").append("x".repeat(random.nextBoolean() ? 300 : 5000));
            case 4 -> p.replace(0, p.length(), path.replace("/" + namespace + "/", "/" + encodeSome(pick(NASTY)) + "/"));
            case 5 -> p.replace(0, p.length(), path.replaceFirst("/[^/]*$", ""));
            case 6 -> p.replace(0, p.length(), pick(new String[]{"*", "http://127.0.0.1" + path, "//" + path,
                    "http://[::1", path + "#frag", path + "?", "?" + path, path.toUpperCase(Locale.ROOT)}));
            case 7 -> p.insert(random.nextInt(p.length()), ' ');
            default -> p.append("/").append(pick(ACTIONS)).append("/").append(pick(ACTIONS));
        }
        return p.toString();
    }

    private void mutateHeaders(Map<String, String> headers, List<String> raw) {
        switch (random.nextInt(14)) {
            case 0 -> headers.remove("Content-Type");
            case 1 -> headers.put("Content-Type", pick(new String[]{"text/plain", "application/json; charset=latin1",
                    "application/xml", "multipart/form-data; boundary=x", "application/yaml; x=\"", "/", "", "*/*"}));
            case 2 -> headers.put("Content-Length", pick(new String[]{"-1", "abc", "99999999999999999999", "0",
                    "1048577", "5", " 12", "1,2"}));
            case 3 -> raw.add("Content-Length: 3\r\nContent-Length: 4\r\n");
            case 4 -> headers.put("Transfer-Encoding", pick(new String[]{"chunked", "gzip", "chunked, chunked", "x"}));
            case 5 -> headers.put("X-Big", "b".repeat(random.nextBoolean() ? 9000 : 100_000));
            case 6 -> {
                for (int i = 0; i < 70; i++) {
                    raw.add("X-H" + i + ": " + i + "\r\n");
                }
            }
            case 7 -> raw.add(pick(new String[]{"No colon here\r\n", ": empty-name\r\n", "X-Bad\u0000: v\r\n",
                    " folded: line\r\n", "X-Latin: \u00ff\u00fe\r\n"}));
            case 8 -> headers.put("X-Request-Id", pick(NASTY).replace("\r\n", "") + "x".repeat(random.nextInt(3) * 4000));
            case 9 -> headers.put("Last-Event-ID", pick(NASTY).replace("\r\n", ""));
            case 10 -> headers.put("Expect", pick(new String[]{"100-continue", "200-ok", ""}));
            case 11 -> headers.put("Authorization", pick(new String[]{"Bearer", "Bearer " + "t".repeat(4000),
                    "Basic !!!", ""}));
            case 12 -> headers.remove("Host");
            default -> headers.put("Accept", pick(new String[]{"text/event-stream", "application/xml", "*/*;q=x", ""}));
        }
    }

    private byte[] mutateBody(Seed seed) {
        byte[] body = seed.body.getBytes(StandardCharsets.UTF_8);
        switch (random.nextInt(9)) {
            case 0 -> {
                for (int i = 0; i < 1 + random.nextInt(4); i++) {
                    body[random.nextInt(body.length)] = (byte) random.nextInt(256);
                }
                return body;
            }
            case 1 -> {
                return java.util.Arrays.copyOf(body, random.nextInt(body.length));
            }
            case 2 -> {
                return new byte[0];
            }
            case 3 -> {
                return ("[".repeat(5000) + "]".repeat(5000)).getBytes(StandardCharsets.US_ASCII);
            }
            case 4 -> {
                return "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
                        .getBytes(StandardCharsets.US_ASCII);
            }
            case 5 -> {
                return new byte[]{(byte) 0xc3, (byte) 0x28, '{', (byte) 0xff, (byte) 0xfe};
            }
            default -> {
                if (!"application/json".equals(seed.contentType)) {
                    return body;
                }
                try {
                    JsonNode tree = JSON.readTree(body);
                    replaceSomeValue(tree);
                    return JSON.writeValueAsBytes(tree);
                } catch (IOException e) {
                    return body;
                }
            }
        }
    }

    /** One value somewhere in the tree replaced by a hostile one, or a field removed or added. */
    private void replaceSomeValue(JsonNode root) {
        List<ObjectNode> objects = new ArrayList<>();
        collect(root, objects);
        ObjectNode at = objects.get(random.nextInt(objects.size()));
        List<String> fields = new ArrayList<>();
        at.fieldNames().forEachRemaining(fields::add);
        String field = fields.isEmpty() ? "x" : fields.get(random.nextInt(fields.size()));
        JsonNodeFactory f = JsonNodeFactory.instance;
        switch (random.nextInt(10)) {
            case 0 -> at.remove(field);
            case 1 -> at.putNull(field);
            case 2 -> at.put(field, random.nextBoolean() ? -1 : Long.MAX_VALUE);
            case 3 -> at.put(field, 1.5);
            case 4 -> at.put(field, pick(NASTY));
            case 5 -> at.put(field, "9".repeat(random.nextBoolean() ? 1000 : 200_000));
            case 6 -> {
                ArrayNode array = at.putArray(field);
                array.add(f.objectNode()).add(f.nullNode());
            }
            case 7 -> at.putObject(field).put("k", "v");
            case 8 -> at.put("unexpected" + random.nextInt(3), true);
            default -> {
                ObjectNode many = at.putObject(random.nextBoolean() ? "labels" : "nodeSelector");
                for (int i = 0; i < 300; i++) {
                    many.put("k" + i + pick(new String[]{"", "/x", "\u0000", "A"}), "v");
                }
            }
        }
    }

    private static void collect(JsonNode node, List<ObjectNode> into) {
        if (node instanceof ObjectNode o) {
            into.add(o);
        }
        for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
            collect(it.next(), into);
        }
    }

    private String encodeSome(String s) {
        return random.nextBoolean() ? java.net.URLEncoder.encode(s, StandardCharsets.UTF_8) : s;
    }

    private String pick(String[] choices) {
        return choices[random.nextInt(choices.length)];
    }

    // ---- the wire and the state -------------------------------------------------------------------------------

    private Answer send(Request request) {
        long start = System.nanoTime();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(250);
            try {
                socket.getOutputStream().write(request.bytes());
                socket.getOutputStream().flush();
            } catch (IOException refusedEarly) {
                // the server answered (and closed) before the whole request was written: read that
            }
            return read(socket.getInputStream(), request.streams(), start);
        } catch (IOException e) {
            return new Answer(0, "connect failed: " + e, "", true, Duration.ofNanos(System.nanoTime() - start));
        }
    }

    /** The head and body of one response, or what came before the connection closed or {@link #PATIENCE} ran out. */
    private static Answer read(InputStream in, boolean streams, long start) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        boolean closed = false;
        int headEnd = -1;
        long deadline = start + PATIENCE.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                int n = in.read(buffer);
                if (n < 0) {
                    closed = true;
                    break;
                }
                bytes.write(buffer, 0, n);
            } catch (SocketTimeoutException quiet) {
                // look at what we have
            } catch (IOException reset) {
                closed = true;
                break;
            }
            String text = bytes.toString(StandardCharsets.ISO_8859_1);
            if (headEnd < 0) {
                headEnd = text.indexOf("\r\n\r\n");
            }
            if (headEnd >= 0 && complete(text, headEnd, streams)) {
                break;
            }
        }
        String text = bytes.toString(StandardCharsets.ISO_8859_1);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        if (headEnd < 0 || !text.startsWith("HTTP/1.1 ") || text.length() < 12) {
            return new Answer(0, text, "", closed, took);
        }
        int status = Integer.parseInt(text.substring(9, 12));
        return new Answer(status, text.substring(0, headEnd), new String(bytes.toByteArray(), headEnd + 4,
                bytes.size() - headEnd - 4, StandardCharsets.UTF_8), true, took);
    }

    private static boolean complete(String text, int headEnd, boolean streams) {
        String head = text.substring(0, headEnd).toLowerCase(Locale.ROOT);
        if (head.contains("text/event-stream") || streams && head.startsWith("http/1.1 200")) {
            return true; // a stream: its head is the answer
        }
        int at = head.indexOf("content-length: ");
        if (at >= 0) {
            int end = head.indexOf("\r\n", at);
            long length = Long.parseLong(head.substring(at + 16, end < 0 ? head.length() : end).trim());
            return text.length() - headEnd - 4 >= length || head.startsWith("http/1.1 1");
        }
        if (head.contains("transfer-encoding: chunked")) {
            return text.endsWith("\r\n0\r\n\r\n");
        }
        return head.startsWith("http/1.1 1") || head.startsWith("http/1.1 204") || head.startsWith("http/1.1 304");
    }

    /** namespace/name -> resourceVersion of every VM, from the list. */
    Map<String, String> vms() throws IOException {
        Request list = new Request("state", RawHttp.authorized(("GET /api/v1/virtualmachines HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII)), "state", false);
        Answer answer = send(list);
        if (answer.status() != 200) {
            throw new IOException("the VM list answered " + answer.status() + ": " + answer.body());
        }
        Map<String, String> versions = new TreeMap<>();
        for (JsonNode vm : JSON.readTree(answer.body()).path("items")) {
            if (ownNamespaceOnly && !namespace.equals(vm.at("/metadata/namespace").asText())) {
                continue;
            }
            versions.put(vm.at("/metadata/namespace").asText() + "/" + vm.at("/metadata/name").asText(),
                    vm.at("/metadata/resourceVersion").asText() + " " + vm.at("/status/printableStatus").asText());
        }
        return versions;
    }

    /** The VMs once two reads 100 ms apart agree (an accepted request's effects come asynchronously). */
    private Map<String, String> settled() throws IOException {
        Map<String, String> last = vms();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            sleep(100);
            Map<String, String> now = vms();
            if (now.equals(last)) {
                return now;
            }
            last = now;
        }
        return last;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
