package dev.vireo.cli;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscribers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A subscription to {@code GET /api/v1/events}. Lines arrive on the HTTP client's threads and are
 * queued as events, so the reader can wait with a timeout (to notice a quiet stream) and close
 * the subscription at any time.
 */
final class EventStream implements AutoCloseable {
    private static final SseEvent END = new SseEvent(null, null, null);

    private final BlockingQueue<SseEvent> queue = new LinkedBlockingQueue<>();
    private final SseParser parser = new SseParser();
    private volatile Flow.Subscription subscription;
    private volatile boolean ended;

    private EventStream() {
    }

    /**
     * Opens the stream and returns once the server has answered with its headers.
     * A non-200 answer becomes an {@link ApiError}; no server at all a {@link ServerUnreachable}.
     */
    static EventStream open(VireoClient client, String pathAndQuery, Duration headerTimeout) {
        EventStream stream = new EventStream();
        CompletableFuture<Integer> status = new CompletableFuture<>();
        CompletableFuture<String> errorBody = new CompletableFuture<>();
        HttpResponse.BodyHandler<Void> handler = info -> {
            status.complete(info.statusCode());
            if (info.statusCode() == 200) {
                return BodySubscribers.fromLineSubscriber(stream.lines());
            }
            return BodySubscribers.mapping(BodySubscribers.ofString(StandardCharsets.UTF_8), body -> {
                errorBody.complete(body);
                return null;
            });
        };
        HttpRequest request = client.request(pathAndQuery).header("Accept", "text/event-stream").GET().build();
        CompletableFuture<HttpResponse<Void>> response = client.http().sendAsync(request, handler);
        response.whenComplete((ok, failure) -> {
            status.completeExceptionally(failure != null ? failure : new IOException("stream closed before headers"));
            stream.end();
        });
        try {
            int code = status.get(headerTimeout.toMillis(), TimeUnit.MILLISECONDS);
            if (code != 200) {
                String body = errorBody.get(headerTimeout.toMillis(), TimeUnit.MILLISECONDS);
                throw VireoClient.errorOf(code, body);
            }
            return stream;
        } catch (ExecutionException e) {
            throw client.failureOf(e.getCause());
        } catch (TimeoutException e) {
            response.cancel(true);
            throw new CommandFailure(CommandFailure.REJECTED,
                    "the event stream of " + ServerUnreachable.display(client.server()) + " did not answer within " + headerTimeout.toSeconds() + "s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailure(CommandFailure.REJECTED, "interrupted");
        }
    }

    /**
     * The next event, waiting at most {@code timeout}; empty when none came in time or the stream ended
     * (see {@link #ended()}).
     */
    Optional<SseEvent> next(Duration timeout) throws InterruptedException {
        if (ended && queue.isEmpty()) {
            return Optional.empty();
        }
        SseEvent event = queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (event == END) {
            queue.offer(END); // keep answering "ended" to later calls
            return Optional.empty();
        }
        return Optional.ofNullable(event);
    }

    /** The next event, waiting as long as it takes; empty when the stream ended. */
    Optional<SseEvent> next() throws InterruptedException {
        if (ended && queue.isEmpty()) {
            return Optional.empty();
        }
        SseEvent event = queue.take();
        if (event == END) {
            queue.offer(END);
            return Optional.empty();
        }
        return Optional.of(event);
    }

    /** True once the server closed the stream and every queued event was read. */
    boolean ended() {
        return ended && (queue.isEmpty() || queue.peek() == END);
    }

    @Override
    public void close() {
        Flow.Subscription current = subscription;
        if (current != null) {
            current.cancel();
        }
        end();
    }

    private void end() {
        if (!ended) {
            ended = true;
            queue.offer(END);
        }
    }

    private Flow.Subscriber<String> lines() {
        return new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                subscription = s;
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(String line) {
                // an event with empty data is the server's keep-alive heartbeat, not a VM event
                parser.feed(line).filter(e -> !e.data().isEmpty()).ifPresent(queue::offer);
            }

            @Override
            public void onError(Throwable throwable) {
                end();
            }

            @Override
            public void onComplete() {
                end();
            }
        };
    }
}
