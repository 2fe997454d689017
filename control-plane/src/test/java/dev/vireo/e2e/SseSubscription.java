package dev.vireo.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Assertions;

/**
 * A client of {@code GET /api/v1/events}: reads server-sent events on its own thread, as a dashboard
 * would, and hands them out in the order received.
 */
final class SseSubscription implements AutoCloseable {

    /** One event as it came over the wire, with its {@code data} parsed. */
    record Event(long id, String event, JsonNode data) {
        String vm() {
            return data.path("namespace").asText() + "/" + data.path("name").asText();
        }

        String type() {
            return data.path("type").asText();
        }
    }

    private final BlockingQueue<Event> queue = new LinkedBlockingQueue<>();
    private final java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);
    private final List<Event> received = new ArrayList<>();
    private final InputStream body;
    private final int status;
    private final String contentType;

    private SseSubscription(HttpResponse<InputStream> response) {
        this.body = response.body();
        this.status = response.statusCode();
        this.contentType = response.headers().firstValue("Content-Type").orElse("");
        Thread reader = new Thread(this::read, "sse-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** Opens {@code /api/v1/events?query} with the given headers; returns once the response has begun. */
    static SseSubscription open(Api api, String query, Map<String, String> headers) {
        HttpRequest.Builder request = api.authorized(HttpRequest.newBuilder(api.base().resolve("/api/v1/events"
                + (query.isEmpty() ? "" : "?" + query)))).header("Accept", "text/event-stream").GET();
        headers.forEach(request::header);
        try {
            return new SseSubscription(api.http().send(request.build(), HttpResponse.BodyHandlers.ofInputStream()));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static SseSubscription open(Api api, String query) {
        return open(api, query, Map.of());
    }

    int status() {
        return status;
    }

    String contentType() {
        return contentType;
    }

    /** Takes events until one matches {@code last} (included); fails at the deadline with what it got. */
    List<Event> takeUntil(Predicate<Event> last, Duration within) {
        Instant deadline = Instant.now().plus(within);
        List<Event> taken = new ArrayList<>();
        while (true) {
            Event e = poll(Duration.between(Instant.now(), deadline));
            if (e == null) {
                Assertions.fail("no matching event within " + within.toSeconds() + "s; got " + taken.size()
                        + " events: " + taken.stream().map(x -> x.id() + " " + x.vm() + " " + x.event()).toList());
            }
            taken.add(e);
            if (last.test(e)) {
                return taken;
            }
        }
    }

    /** All events that arrive within {@code quiet} of each other (e.g. to show that nothing else comes). */
    List<Event> drain(Duration quiet) {
        List<Event> taken = new ArrayList<>();
        Event e;
        while ((e = poll(quiet)) != null) {
            taken.add(e);
        }
        return taken;
    }

    private Event poll(Duration within) {
        try {
            Event e = queue.poll(Math.max(0, within.toMillis()), TimeUnit.MILLISECONDS);
            if (e != null) {
                received.add(e);
            }
            return e;
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    private void read() {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String id = null;
            String type = null;
            StringBuilder data = new StringBuilder();
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.isEmpty()) {
                    if (data.length() > 0) {
                        queue.add(new Event(id == null ? -1 : Long.parseLong(id), type, Api.parse(data.toString())));
                    }
                    id = null;
                    type = null;
                    data.setLength(0);
                } else if (line.startsWith(":")) {
                    continue; // a comment: the keep-alive
                } else if (line.startsWith("data:")) {
                    if (data.length() > 0) {
                        data.append('\n');
                    }
                    data.append(field(line, "data:"));
                } else if (line.startsWith("event:")) {
                    type = field(line, "event:");
                } else if (line.startsWith("id:")) {
                    id = field(line, "id:");
                }
            }
        } catch (IOException e) {
            // closed by the test, or the server went away: the stream simply ends
        } finally {
            ended.countDown();
        }
    }

    /** Whether the server ended the stream within {@code within}. */
    boolean endsWithin(Duration within) {
        try {
            return ended.await(within.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String field(String line, String name) {
        String value = line.substring(name.length());
        return value.startsWith(" ") ? value.substring(1) : value;
    }

    @Override
    public void close() {
        try {
            body.close();
        } catch (IOException e) {
            // already gone
        }
    }
}
