package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.e2e.RawHttp.Answer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Requests refused by the HTTP layer itself, before any route sees them, still answer in the API's error shape
 * {@code {"code","message","field"}} (hardening finding 9), and a request body is at most 1 MiB (413).
 * Sent byte for byte over raw sockets, as no client library would send them.
 */
class HttpErrorShapeTest {

    @RegisterExtension
    static final RunningVireo vireo = new RunningVireo();

    private static final String VMS = "/api/v1/namespaces/default/virtualmachines";
    private static final int MIB = 1 << 20;

    @Test
    void aBodyOverOneMebibyteIs413() {
        Answer declared = post(VMS, "Content-Length: " + (MIB + 1) + "\r\n", "{" + " ".repeat(MIB - 1) + "}x");
        assertError(413, "PayloadTooLarge", declared);
        assertTrue(declared.body().contains("1048576"), declared.toString());
    }

    @Test
    void aChunkedBodyThatGrowsOverOneMebibyteIs413() {
        StringBuilder chunks = new StringBuilder();
        String chunk = " ".repeat(64 * 1024);
        for (int i = 0; i < 17; i++) {
            chunks.append(Integer.toHexString(chunk.length())).append("\r\n").append(chunk).append("\r\n");
        }
        chunks.append("0\r\n\r\n");
        assertError(413, "PayloadTooLarge", post(VMS, "Transfer-Encoding: chunked\r\n", chunks.toString()));
    }

    @Test
    void aBodyJustUnderTheLimitIsReadAndJudgedOnItsContent() {
        String body = "{\"kind\": \"VirtualMachine\"" + " ".repeat(MIB - 100) + "}";
        Answer answer = post(VMS, "Content-Length: " + body.length() + "\r\n", body);
        assertEquals(400, answer.status(), answer.toString());
        assertTrue(answer.isJsonError(), answer.toString());
    }

    @Test
    void aBodyThatBreaksItsChunkingIs400() {
        assertError(400, "BadRequest", post(VMS, "Transfer-Encoding: chunked\r\n", "{\"kind\": \"VirtualMachine\"}"));
    }

    @Test
    void aTooLongUriIs414() {
        assertError(414, "UriTooLong", get("/api/v1/" + "a".repeat(5000), ""));
    }

    @Test
    void tooLargeHeadersAre431() {
        assertError(431, "RequestHeaderFieldsTooLarge", get("/healthz", "X-Big: " + "b".repeat(10_000) + "\r\n"));
        assertError(400, "BadRequest", get("/healthz", "X-Many: 1\r\n".repeat(100))); // pekko-http says 400 for a count
    }

    @Test
    void anUnknownMethodIs501() {
        assertError(501, "NotImplemented", exchange("BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    }

    @Test
    void anUnsupportedHttpVersionIs505() {
        assertError(505, "HttpVersionNotSupported", exchange("GET /healthz HTTP/1.7\r\nHost: x\r\n\r\n"));
    }

    @Test
    void malformedRequestTargetsAre400() {
        assertError(400, "BadRequest", exchange("GET /api/v1/%zz HTTP/1.1\r\nHost: x\r\n\r\n"));
        assertError(505, "HttpVersionNotSupported", exchange("GET /a b/c HTTP/1.1\r\nHost: x\r\n\r\n"));
        assertError(400, "BadRequest", exchange("GET /healthz?x=%G1 HTTP/1.1\r\nHost: x\r\n\r\n"));
        assertError(400, "BadRequest", exchange("GET http://[::1 HTTP/1.1\r\nHost: x\r\n\r\n"));
        assertError(400, "BadRequest", exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"));
    }

    @Test
    void routeRejectionsAreInTheErrorShapeToo() {
        Answer wrongType = post(VMS, "Content-Type: image/png\r\nContent-Length: 2\r\n", "{}");
        assertTrue(wrongType.status() >= 400 && wrongType.status() < 500, wrongType.toString());
        assertTrue(wrongType.isJsonError(), wrongType.toString());
        Answer method = exchange("PATCH /api/v1/nodes HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertTrue(method.status() >= 400 && method.status() < 500, method.toString());
        assertTrue(method.isJsonError(), method.toString());
    }

    private static Answer post(String path, String headers, String body) {
        String head = "POST " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                + (headers.contains("Content-Type") ? "" : "Content-Type: application/json\r\n") + headers + "\r\n";
        byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
        byte[] b = body.getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[h.length + b.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(b, 0, all, h.length, b.length);
        return RawHttp.exchange(vireo.port(), all, Duration.ofSeconds(20));
    }

    private static Answer get(String path, String headers) {
        return exchange("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + headers + "\r\n");
    }

    private static Answer exchange(String request) {
        return RawHttp.exchange(vireo.port(), request);
    }

    private static void assertError(int status, String code, Answer answer) {
        assertEquals(status, answer.status(), answer.toString());
        assertTrue(answer.isJsonError(), "not {\"code\",\"message\",\"field\"}: " + answer);
        assertTrue(answer.body().contains("\"code\":\"" + code + "\""), answer.toString());
    }
}
