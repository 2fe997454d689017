package dev.vireo.api;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.IncomingConnection;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Connection;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may hold how many of the server's connections (hardening finding 5): at most {@code maxTotal} at once
 * (pekko.http.server.max-connections, which pekko-http does not enforce for a connection source), at most
 * {@code maxPerClient} from one client address, and each one idle only until its {@link RequestDeadline}. So one
 * client holding connections open cannot take them all, and {@code /healthz} keeps answering everyone else.
 * A connection over a limit is answered 429 (or 503 when the server is full) if it sends a request at once, and
 * closed.
 */
final class ClientConnections {

    private static final Logger log = LoggerFactory.getLogger(ClientConnections.class);
    /** How long a refused connection may take to send the request it is refused with. */
    private static final Duration REFUSAL_PATIENCE = Duration.ofSeconds(1);

    private final Materializer materializer;
    private final Flow<HttpRequest, HttpResponse, NotUsed> routes;
    private final int maxTotal;
    private final int maxPerClient;
    private final Duration requestHeadDeadline;
    private final AtomicInteger total = new AtomicInteger();
    private final Map<InetAddress, Integer> perClient = new ConcurrentHashMap<>();
    private final AtomicInteger refusalsLogged = new AtomicInteger();

    ClientConnections(ActorSystem<?> system, Flow<HttpRequest, HttpResponse, NotUsed> routes, int maxTotal,
                      int maxPerClient, Duration requestHeadDeadline) {
        this.materializer = Materializer.matFromSystem(system);
        this.routes = routes;
        this.maxTotal = maxTotal;
        this.maxPerClient = maxPerClient;
        this.requestHeadDeadline = requestHeadDeadline;
    }

    /** Serves {@code connection}, or refuses it when it is over a limit; a refused one counts for no limit. */
    void accept(IncomingConnection connection) {
        InetAddress address = connection.remoteAddress().getAddress();
        if (perClient.merge(address, 1, Integer::sum) > maxPerClient) {
            release(address);
            logRefusal(address, "its " + maxPerClient + " connections");
            connection.handleWith(refusal(ApiResponses.error(StatusCodes.TOO_MANY_REQUESTS, "TooManyConnections",
                    "this client address holds " + maxPerClient + " connections already"
                            + " (vireo.http.max-connections-per-client); reuse or close one", null)), materializer);
            return;
        }
        if (total.incrementAndGet() > maxTotal) {
            total.decrementAndGet();
            release(address);
            logRefusal(address, "the server's " + maxTotal + " connections");
            connection.handleWith(refusal(ApiResponses.error(StatusCodes.SERVICE_UNAVAILABLE, "Unavailable",
                    "the server holds its " + maxTotal + " connections (pekko.http.server.max-connections);"
                            + " retry later", null)), materializer);
            return;
        }
        Flow<HttpRequest, HttpResponse, NotUsed> served = BidiFlow.fromGraph(
                new RequestDeadline(requestHeadDeadline, connection.remoteAddress().toString())).join(routes);
        connection.handleWith(served.watchTermination(Keep.right()), materializer).whenComplete((done, e) -> {
            total.decrementAndGet();
            release(address);
        });
    }

    private void release(InetAddress address) {
        perClient.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
    }

    private static Flow<HttpRequest, HttpResponse, NotUsed> refusal(HttpResponse response) {
        HttpResponse closing = response.addHeader(Connection.create("close"));
        // the body, if any, is never read: the connection closes after the answer
        return Flow.of(HttpRequest.class).takeWithin(REFUSAL_PATIENCE).take(1).map(request -> closing);
    }

    private void logRefusal(InetAddress address, String limit) {
        // one line per refusal would let a client fill the log: the first few, then every thousandth
        int n = refusalsLogged.incrementAndGet();
        if (n <= 10 || n % 1000 == 0) {
            log.warn("connection from {} refused: over {} ({} refused so far)", address.getHostAddress(), limit, n);
        }
    }
}
