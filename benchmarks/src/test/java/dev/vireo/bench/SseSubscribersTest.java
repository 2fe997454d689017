package dev.vireo.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SseSubscribersTest {

    private static final int SUBSCRIBERS = 3;

    private final ExecutorService handlers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-sse-handler");
        t.setDaemon(true);
        return t;
    });
    private final CountDownLatch testOver = new CountDownLatch(1);
    private HttpServer server;

    @AfterEach
    void stop() {
        testOver.countDown();
        if (server != null) {
            server.stop(0);
        }
        handlers.shutdownNow();
    }

    /**
     * An event stream as a server would write it, with what a client should make of it: events with
     * multi-byte characters, comments, heartbeats, other fields, a multi-line event, CRLF and CR endings.
     */
    private record Script(byte[] bytes, List<String> events) {
        static Script of(int count) {
            StringBuilder text = new StringBuilder(": stream opened\n\n");
            List<String> events = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String data = "{\"n\":" + i + ",\"name\":\"vm-" + i + "\",\"note\":\"é€😀 " + "x".repeat(i % 37) + "\"}";
                events.add(data);
                String end = i % 10 == 3 ? "\r\n" : i % 10 == 7 ? "\r" : "\n";
                text.append("event: VmCreated").append(end).append("id: ").append(i).append(end)
                        .append(i % 2 == 0 ? "data:" : "data: ").append(data).append(end).append(end);
                if (i % 5 == 0) {
                    text.append("data:\n\n"); // heartbeat: empty data, not an event
                }
                if (i % 7 == 0) {
                    text.append(": a comment, data: not data\n");
                }
                if (i % 50 == 25) {
                    text.append("data: line one\r\ndata\r\ndata:line three\r\n\r\n");
                    events.add("line one\n\nline three");
                }
            }
            return new Script(text.toString().getBytes(StandardCharsets.UTF_8), events);
        }
    }

    /** What a listener got, per subscriber. */
    private static final class Received implements SseSubscribers.Listener {
        private final List<ConcurrentLinkedQueue<String>> data = new ArrayList<>();
        private final Instant since = Instant.now();
        private volatile boolean arrivalOutOfRange;

        Received(int subscribers) {
            for (int i = 0; i < subscribers; i++) {
                data.add(new ConcurrentLinkedQueue<>());
            }
        }

        @Override
        public void onEvent(int subscriber, String event, Instant arrival) {
            if (arrival.isBefore(since) || arrival.isAfter(Instant.now())) {
                arrivalOutOfRange = true;
            }
            data.get(subscriber).add(event);
        }

        boolean all(int count) {
            return data.stream().allMatch(q -> q.size() >= count);
        }
    }

    @Test
    void everyEventArrivesOnceInOrderThroughChunksCutAtOddPlaces() throws Exception {
        Script script = Script.of(200);
        CountDownLatch written = new CountDownLatch(SUBSCRIBERS);
        serve(exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0); // chunked
            OutputStream out = exchange.getResponseBody();
            int[] sizes = {1, 2, 3, 5, 7, 11, 13, 17, 31, 64, 129, 2};
            for (int at = 0, k = 0; at < script.bytes().length; k++) {
                int n = Math.min(sizes[k % sizes.length], script.bytes().length - at);
                out.write(script.bytes(), at, n);
                out.flush(); // one chunk per piece
                at += n;
                if (k % 3 == 0) {
                    sleep(1); // and reads cut between them
                }
            }
            written.countDown();
            testOver.await();
        });
        Received received = new Received(SUBSCRIBERS);
        try (SseSubscribers subscribers = open(received)) {
            assertTrue(written.await(30, TimeUnit.SECONDS));
            await(() -> received.all(script.events().size()));
            for (int s = 0; s < SUBSCRIBERS; s++) {
                assertEquals(script.events(), List.copyOf(received.data.get(s)), "subscriber " + s);
            }
            assertFalse(received.arrivalOutOfRange);
            assertEquals(0, subscribers.lost());
            subscribers.throwIfLost();
        }
    }

    @Test
    void everyCutOfAChunkedResponseGivesTheSameEvents() throws Exception {
        Script script = Script.of(30);
        ByteArrayOutputStream response = new ByteArrayOutputStream();
        response.writeBytes(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\ntransfer-encoding: Chunked\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        int[] sizes = {40, 1, 300, 7, 0x1F, 2};
        for (int at = 0, k = 0; at < script.bytes().length; k++) {
            int n = Math.min(sizes[k % sizes.length], script.bytes().length - at);
            String size = Integer.toHexString(n);
            response.writeBytes(((k % 2 == 0 ? size.toUpperCase() : size) + (k % 4 == 1 ? ";ext=1" : "") + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            response.write(script.bytes(), at, n);
            response.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            at += n;
        }
        byte[] bytes = response.toByteArray();
        for (int cut = 0; cut <= bytes.length; cut++) {
            List<String> events = new ArrayList<>();
            SseSubscribers.Stream stream = new SseSubscribers.Stream(0, (s, data, arrival) -> events.add(data));
            stream.received(bytes, 0, cut, Instant.now());
            stream.received(bytes, cut, bytes.length, Instant.now());
            assertEquals(script.events(), events, "cut at " + cut);
        }
        List<String> events = new ArrayList<>();
        SseSubscribers.Stream stream = new SseSubscribers.Stream(0, (s, data, arrival) -> events.add(data));
        for (int i = 0; i < bytes.length; i++) {
            stream.received(bytes, i, i + 1, Instant.now());
        }
        assertEquals(script.events(), events, "a byte at a time");
        assertThrows(EOFException.class,
                () -> stream.received("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0, 5, Instant.now()),
                "the last chunk ends the stream");
    }

    @Test
    void aServerThatEndsTheStreamLosesItsSubscribers() throws Exception {
        serve(exchange -> {
            exchange.sendResponseHeaders(200, 0);
            exchange.getResponseBody().write("data: one\n\ndata: two\n\n".getBytes(StandardCharsets.UTF_8));
            exchange.close(); // the last chunk
        });
        Received received = new Received(SUBSCRIBERS);
        try (SseSubscribers subscribers = open(received)) {
            await(() -> subscribers.lost() == SUBSCRIBERS);
            IllegalStateException e = assertThrows(IllegalStateException.class, subscribers::throwIfLost);
            assertTrue(e.getMessage().contains("3 of 3 SSE subscribers lost"), e.getMessage());
            assertTrue(e.getMessage().contains("after 2 events"), e.getMessage());
            assertTrue(e.getMessage().contains("ended the stream"), e.getMessage());
            assertTrue(received.all(2));
        }
    }

    @Test
    void aBodyWithoutChunkingLastsUntilTheServerClosesAndThatLosesTheSubscriber() throws Exception {
        List<String> request = new CopyOnWriteArrayList<>();
        try (ServerSocket raw = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            handlers.execute(() -> {
                try (Socket socket = raw.accept()) {
                    BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                            StandardCharsets.US_ASCII));
                    for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                        request.add(line);
                    }
                    OutputStream out = socket.getOutputStream();
                    out.write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n: hi\n\n"
                            .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    sleep(20);
                    out.write("data: one\n\ndata: tw".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    sleep(20);
                    out.write("o\n\ndata: cut off\n".getBytes(StandardCharsets.UTF_8));
                } catch (Exception e) {
                    // the test fails on what the client did not get
                }
            });
            Received received = new Received(1);
            try (SseSubscribers subscribers = SseSubscribers.open("127.0.0.1", raw.getLocalPort(), "/events", null, 1,
                    received)) {
                await(() -> subscribers.lost() == 1);
                IllegalStateException e = assertThrows(IllegalStateException.class, subscribers::throwIfLost);
                assertTrue(e.getMessage().contains("closed the connection"), e.getMessage());
                assertEquals(List.of("one", "two"), List.copyOf(received.data.get(0)));
                assertEquals(List.of("GET /events HTTP/1.1", "Host: 127.0.0.1:" + raw.getLocalPort(),
                        "Accept: text/event-stream"), request);
            }
        }
    }

    @Test
    void aStatusOtherThan200LosesTheSubscriber() throws Exception {
        serve(exchange -> {
            byte[] body = "no such stream".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(404, body.length);
            exchange.getResponseBody().write(body);
            testOver.await();
        });
        try (SseSubscribers subscribers = open(new Received(SUBSCRIBERS))) {
            await(() -> subscribers.lost() == SUBSCRIBERS);
            IllegalStateException e = assertThrows(IllegalStateException.class, subscribers::throwIfLost);
            assertTrue(e.getMessage().contains("answered \"HTTP/1.1 404"), e.getMessage());
        }
    }

    @Test
    void closeEndsEveryConnectionAndLosesNone() throws Exception {
        CountDownLatch streaming = new CountDownLatch(SUBSCRIBERS);
        CountDownLatch ended = new CountDownLatch(SUBSCRIBERS);
        serve(exchange -> {
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            streaming.countDown();
            try {
                while (true) {
                    out.write(":\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    sleep(10);
                }
            } catch (IOException e) {
                ended.countDown();
            }
        });
        SseSubscribers subscribers = open(new Received(SUBSCRIBERS));
        assertTrue(streaming.await(10, TimeUnit.SECONDS));
        subscribers.close();
        assertTrue(ended.await(10, TimeUnit.SECONDS), "the server still writes to " + ended.getCount());
        assertEquals(0, subscribers.lost());
        subscribers.throwIfLost();
    }

    private interface Handler {
        void handle(HttpExchange exchange) throws Exception;
    }

    private void serve(Handler handler) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.setExecutor(handlers);
        server.createContext("/events", exchange -> {
            try {
                handler.handle(exchange);
            } catch (Exception e) {
                exchange.close();
            }
        });
        server.start();
    }

    private SseSubscribers open(SseSubscribers.Listener listener) throws IOException {
        return SseSubscribers.open("127.0.0.1", server.getAddress().getPort(), "/events?namespace=sse", null, SUBSCRIBERS,
                listener);
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not within 30 s");
            Thread.sleep(10);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
