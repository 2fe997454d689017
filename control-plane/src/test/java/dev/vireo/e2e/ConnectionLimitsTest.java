package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.e2e.RawHttp.Answer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Clients that hold connections without finishing requests (hardening finding 5): a slow head or a slow body
 * is cut off within its deadline, one client address cannot take every connection, and {@code /healthz} keeps
 * answering everyone else meanwhile. A streaming response is not an idle connection.
 */
class ConnectionLimitsTest {

    private static final Duration HEAD_DEADLINE = Duration.ofSeconds(3);
    private static final int PER_CLIENT = 40;
    private static final int SERVER_WIDE = 100;

    @RegisterExtension
    static final RunningVireo vireo = new RunningVireo()
            .with("vireo.http.request-head-timeout", HEAD_DEADLINE.toSeconds() + "s")
            .with("vireo.http.request-body-timeout", "3s")
            .with("vireo.http.max-connections-per-client", PER_CLIENT)
            .with("pekko.http.server.max-connections", SERVER_WIDE);

    /** Another client: every address of 127/8 is this machine's loopback. */
    private static final InetAddress OTHER_CLIENT = address("127.0.0.2");

    @Test
    void aHeadSentOneByteAtATimeIsCutOffWithinTheDeadline() throws IOException {
        try (Socket socket = RawHttp.connect(InetAddress.getLoopbackAddress(), vireo.port())) {
            socket.setSoTimeout(200);
            OutputStream out = socket.getOutputStream();
            byte[] head = "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII);
            long start = System.nanoTime();
            boolean closed = false;
            for (int i = 0; !closed && elapsed(start).compareTo(Duration.ofSeconds(20)) < 0; i++) {
                try {
                    out.write(head[Math.min(i, head.length - 1)]);
                    out.flush();
                } catch (IOException reset) {
                    closed = true;
                    break;
                }
                closed = closedWithin(socket.getInputStream(), Duration.ofMillis(700));
            }
            Duration took = elapsed(start);
            assertTrue(closed, "a connection trickling its head was still open after " + took.toSeconds() + " s");
            assertTrue(took.compareTo(HEAD_DEADLINE.plusSeconds(3)) < 0, "closed only after " + took.toMillis() + " ms");
        }
    }

    @Test
    void aBodySentOneByteAtATimeIs408AndTheConnectionCloses() throws IOException {
        try (Socket socket = RawHttp.connect(InetAddress.getLoopbackAddress(), vireo.port())) {
            socket.setSoTimeout(200);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /api/v1/namespaces/default/virtualmachines HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
            long start = System.nanoTime();
            Answer answer = null;
            while (answer == null && elapsed(start).compareTo(Duration.ofSeconds(20)) < 0) {
                try {
                    out.write(' ');
                    out.flush();
                } catch (IOException reset) {
                    break;
                }
                try {
                    socket.setSoTimeout(1000);
                    Answer read = RawHttp.read(socket.getInputStream());
                    answer = read.status() == 0 ? null : read;
                } catch (SocketTimeoutException quiet) {
                    // keep trickling
                }
            }
            assertTrue(answer != null, "no answer to a trickled body after " + elapsed(start).toSeconds() + " s");
            assertEquals(408, answer.status(), answer.toString());
            assertTrue(answer.isJsonError(), answer.toString());
            assertTrue(closedWithin(socket.getInputStream(), Duration.ofSeconds(5)), "the connection stayed open");
        }
    }

    @Test
    void oneClientHoldingManyIdleConnectionsLeavesHealthzAnswering() throws Exception {
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < SERVER_WIDE + 20; i++) {
                held.add(RawHttp.connect(OTHER_CLIENT, vireo.port()));
            }
            long start = System.nanoTime();
            Answer health = RawHttp.exchange(vireo.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII), Duration.ofSeconds(2));
            assertEquals(200, health.status(), "healthz while one client holds " + held.size() + " connections: " + health);
            assertTrue(elapsed(start).toMillis() < 2000, "healthz took " + elapsed(start).toMillis() + " ms");
            // what the one client got beyond its share is closed at once
            int closed = 0;
            for (Socket socket : held) {
                if (closedWithin(socket.getInputStream(), Duration.ofMillis(20))) {
                    closed++;
                }
            }
            Thread.sleep(1500);
            for (Socket socket : held) {
                if (closedWithin(socket.getInputStream(), Duration.ofMillis(20))) {
                    closed++;
                }
            }
            assertTrue(closed >= held.size() - PER_CLIENT, closed + " of " + held.size() + " closed; at most "
                    + PER_CLIENT + " may stay");
            Answer refused = RawHttp.exchange(vireo.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII), Duration.ofSeconds(2));
            assertEquals(200, refused.status(), "another client still served: " + refused);
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
    }

    @Test
    void aClientOverItsShareIsToldSo() throws Exception {
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < PER_CLIENT; i++) {
                held.add(RawHttp.connect(OTHER_CLIENT, vireo.port()));
            }
            Thread.sleep(200);
            try (Socket extra = RawHttp.connect(OTHER_CLIENT, vireo.port())) {
                extra.setSoTimeout(3000);
                extra.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                Answer answer = RawHttp.read(extra.getInputStream());
                assertEquals(429, answer.status(), answer.toString());
                assertTrue(answer.isJsonError(), answer.toString());
            }
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
    }

    @Test
    void anEventStreamOutlivesTheHeadDeadline() throws Exception {
        try (Socket socket = RawHttp.connect(InetAddress.getLoopbackAddress(), vireo.port())) {
            socket.getOutputStream().write(RawHttp.authorized("GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII)));
            Thread.sleep(HEAD_DEADLINE.plusSeconds(2).toMillis());
            String name = Manifests.uniqueName("streamed");
            assertEquals(201, vireo.api().create(Manifests.json(name, "Halted")).status());
            socket.setSoTimeout(10_000);
            InputStream in = socket.getInputStream();
            StringBuilder seen = new StringBuilder();
            byte[] buffer = new byte[8192];
            long start = System.nanoTime();
            while (!seen.toString().contains(name) && elapsed(start).compareTo(Duration.ofSeconds(10)) < 0) {
                int n = in.read(buffer);
                assertTrue(n > 0, "the event stream was closed: " + seen);
                seen.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            }
            assertTrue(seen.toString().contains(name), seen.toString());
        }
    }

    /** Whether the server closed the connection (end of stream or reset) within {@code within}. */
    private static boolean closedWithin(InputStream in, Duration within) throws IOException {
        long start = System.nanoTime();
        while (elapsed(start).compareTo(within) < 0) {
            try {
                if (in.read() < 0) {
                    return true;
                }
            } catch (SocketTimeoutException quiet) {
                return false;
            } catch (IOException reset) {
                return true;
            }
        }
        return false;
    }

    private static Duration elapsed(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    private static InetAddress address(String ip) {
        try {
            return InetAddress.getByName(ip);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
