package dev.vireo.api;

import dev.vireo.protocol.api.RequestIds;
import com.typesafe.config.Config;
import dev.vireo.auth.Authorizer;
import dev.vireo.auth.PemTls;
import dev.vireo.auth.RequestLimits;
import dev.vireo.auth.StreamTickets;
import dev.vireo.auth.TokenFile;
import dev.vireo.protocol.auth.User;
import dev.vireo.protocol.auth.Verb;
import dev.vireo.metrics.VireoMetrics;
import dev.vireo.persistence.EventLog;
import dev.vireo.protocol.api.InvalidManifestException;
import dev.vireo.protocol.api.ManifestValidator;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.scheduler.Scheduler;
import dev.vireo.vm.VmListFreshness;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.apache.pekko.http.javadsl.ConnectionContext;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.http.scaladsl.model.EntityStreamException;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.http.scaladsl.model.IllegalRequestException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The HTTP API (README.md, "The API") on pekko-http: translates requests into commands and queries, nothing more. */
public final class ApiServer extends AllDirectives {

    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);

    private final ServerBinding binding;
    private final ImagePaths images;
    private final Path certificate;

    private ApiServer(ServerBinding binding, ImagePaths images, Path certificate) {
        this.binding = binding;
        this.images = images;
        this.certificate = certificate;
    }

    /** The TLS certificate (PEM) the API serves, null for plain HTTP. */
    public Path certificate() {
        return certificate;
    }

    public static ApiServer start(ActorSystem<?> system, ClusterSharding sharding, ActorRef<Scheduler.Command> scheduler,
                                  VmListFreshness listFreshness, VireoMetrics metrics, TokenFile tokens,
                                  Authorizer authorizer, Config vireo) throws Exception {
        Optional<SSLContext> tls = tls(vireo);
        Duration timeout = vireo.getDuration("http.ask-timeout");
        EventLog eventLog = EventLog.get(system);
        VirtualMachines vms = new VirtualMachines(system, sharding, listFreshness, timeout);
        StatusRoutes status = new StatusRoutes(system, scheduler, metrics, timeout);
        ImagePaths images = new ImagePaths(status::nodes);
        Routes routes = new Routes(vireo.getDuration("http.request-body-timeout"),
                new VirtualMachineRoutes(vms, metrics, images),
                new HistoryRoutes(eventLog), new ConsoleRoute(system, vms, status, timeout),
                new EventStreamRoute(eventLog), status, new NodeRoutes(status, new NodeDrain(status, vms, system.settings().config())), metrics,
                new MigrationRoutes(vms, eventLog, scheduler, system, timeout),
                new Authentication(tokens, RequestLimits.of(vireo.getConfig("limits"))),
                new Authorization(authorizer), new RoleBindingRoutes(authorizer), new SnapshotRoutes(vms));
        Config server = system.settings().config().getConfig("pekko.http.server");
        ClientConnections connections = new ClientConnections(system, routes.route().flow(system),
                server.getInt("max-connections"), vireo.getInt("http.max-connections-per-client"),
                vireo.getDuration("http.request-head-timeout"));
        ServerBinding binding = tls.map(context -> Http.get(system)
                        .newServerAt(vireo.getString("http.address"), vireo.getInt("http.port"))
                        .enableHttps(ConnectionContext.httpsServer(context)))
                .orElseGet(() -> Http.get(system).newServerAt(vireo.getString("http.address"), vireo.getInt("http.port")))
                .connectionSource()
                .toMat(Sink.foreach(connections::accept), Keep.left())
                .run(system)
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        return new ApiServer(binding, images, tls.isPresent() ? Path.of(vireo.getString("http.tls-cert")) : null);
    }

    /**
     * The API's TLS ({@code --tls-cert}, {@code --tls-key}), or none: plain HTTP, which only a loopback address
     * serves unless {@code --insecure-http} says otherwise (a token sent in the clear is a token given away).
     */
    static Optional<SSLContext> tls(Config vireo) {
        String cert = vireo.getString("http.tls-cert");
        String key = vireo.getString("http.tls-key");
        if (cert.isBlank() != key.isBlank()) {
            throw new IllegalArgumentException("give both --tls-cert and --tls-key (PEM), or neither");
        }
        if (!cert.isBlank()) {
            return Optional.of(PemTls.serverContext(Path.of(cert), Path.of(key)));
        }
        String address = vireo.getString("http.address");
        boolean loopback;
        try {
            loopback = InetAddress.getByName(address).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("--address " + address + " is not an address of this machine");
        }
        if (!loopback && !vireo.getBoolean("http.insecure-http")) {
            throw new IllegalArgumentException("--address " + address + " is not a loopback address: serve TLS there"
                    + " (--tls-cert FILE --tls-key FILE), or give --insecure-http to send tokens in the clear anyway");
        }
        return Optional.empty();
    }

    /** How specs are checked against the nodes' images (the Kubernetes sync checks the same way). */
    public ImagePaths images() {
        return images;
    }

    public int port() {
        return binding.localAddress().getPort();
    }

    public void stop(Duration deadline) {
        try {
            binding.terminate(deadline).toCompletableFuture().get(deadline.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.warn("HTTP API did not stop cleanly: {}", e.toString());
        }
    }

    /** The route tree, errors rendered as {@code {"code","message","field"}}. */
    private static final class Routes extends AllDirectives {
        private final Duration bodyDeadline;
        private final VirtualMachineRoutes vms;
        private final HistoryRoutes history;
        private final ConsoleRoute console;
        private final EventStreamRoute events;
        private final StatusRoutes status;
        private final NodeRoutes nodes;
        private final Authentication authentication;
        private final Authorization authorization;
        private final RoleBindingRoutes bindings;
        private final StreamTickets tickets;
        private final VireoMetrics metrics;
        private final MigrationRoutes migrations;
        private final SnapshotRoutes snapshots;

        Routes(Duration bodyDeadline, VirtualMachineRoutes vms, HistoryRoutes history, ConsoleRoute console, EventStreamRoute events,
               StatusRoutes status, NodeRoutes nodes, VireoMetrics metrics, MigrationRoutes migrations,
               Authentication authentication, Authorization authorization, RoleBindingRoutes bindings,
               SnapshotRoutes snapshots) {
            this.bodyDeadline = bodyDeadline;
            this.snapshots = snapshots;
            this.migrations = migrations;
            this.authentication = authentication;
            this.authorization = authorization;
            this.bindings = bindings;
            this.tickets = new StreamTickets(Duration.ofSeconds(30), java.time.Clock.systemUTC());
            this.vms = vms;
            this.history = history;
            this.console = console;
            this.events = events;
            this.status = status;
            this.nodes = nodes;
            this.metrics = metrics;
        }

        Route route() {
            return mapResponse(response -> {
                metrics.httpResponse(response.status().intValue());
                return response;
            }, () -> withRequestTimeoutResponse(request -> ApiResponses.error(StatusCodes.SERVICE_UNAVAILABLE,
                    "Timeout", "the request was not answered within the server's request timeout; retry", null),
                    () -> handleExceptions(exceptions(), () -> handleRejections(rejections(), () -> bodyWithin(() ->
                    optionalHeaderValueByName(RequestIds.HEADER, given -> {
                        String requestId = given.filter(s -> !s.isBlank()).map(RequestIds::checked)
                                .orElseGet(RequestIds::generated);
                        return respondWithHeader(RawHeader.create(RequestIds.HEADER, requestId), () -> concat(
                                pathPrefix("api", () -> concat(ticketStream(), authentication.authenticated(user -> pathPrefix("v1", () -> concat(
                                        pathPrefix("namespaces", () -> pathPrefix(PathMatchers.segment(), namespace -> {
                                            // every route under a namespace: one that no VM can be in is a 400
                                            ManifestValidator.checkName("namespace", namespace);
                                            return concat(
                                                    pathPrefix("virtualmachines", () -> authorization.vms(user, namespace,
                                                            () -> vms.route(namespace, requestId, user,
                                                                    id -> perVm(id, requestId, user)))),
                                                    pathPrefix("rolebindings", () -> authorization.allowed(user,
                                                            Verb.GRANT, namespace,
                                                            () -> bindings.route(namespace, requestId, user))));
                                        })),
                                        pathPrefix("clusterrolebindings", () -> authorization.allowed(user,
                                                Verb.WRITE_CLUSTER, null, () -> bindings.route(null, requestId, user))),
                                        path("virtualmachines", () -> authorization.withBindings(all ->
                                                vms.list(null, all.readableNamespaces(user).orElse(null)))),
                                        pathPrefix("events", () -> concat(
                                                pathEndOrSingleSlash(() -> headerValueByName("Authorization", credential ->
                                                        events.route(user, credential, authentication, authorization))),
                                                path("tickets", () -> post(() -> headerValueByName("Authorization",
                                                        credential -> complete(ticket(user, credential))))))),
                                        pathPrefix("nodes", () -> authorization.cluster(user, () ->
                                                nodes.route(requestId, user)))))))),
                                path("metrics", () -> authentication.authenticated(user -> authorization.cluster(user,
                                        status::metricsRoute))),
                                status.healthRoutes()));
                    }))))));
        }

        /** {@code POST /api/v1/events/tickets}: a ticket for one event stream of this user (docs/security.md). */
        private HttpResponse ticket(User user, String credential) {
            StreamTickets.Issued issued = tickets.issue(user, credential);
            return ApiResponses.json(StatusCodes.CREATED, Map.of("ticket", issued.ticket(),
                    "expiresAt", issued.expires().toString(), "stream", "/api/v1/events?ticket=" + issued.ticket()));
        }

        /**
         * {@code GET /api/v1/events?ticket=…} without an Authorization header: the stream of the user the ticket
         * was issued to (a browser's EventSource sends no header); anything else goes on to authentication.
         */
        private Route ticketStream() {
            return pathPrefix("v1", () -> path("events", () -> get(() -> optionalHeaderValueByName("Authorization",
                    header -> header.isPresent() ? reject() : parameterOptional("ticket", ticket -> {
                        if (ticket.isEmpty()) {
                            return reject();
                        }
                        return tickets.redeem(ticket.get())
                                .map(t -> events.route(t.user(), t.credential(), authentication, authorization))
                                .orElseGet(() -> complete(Authentication.unauthorized("the stream ticket is unknown,"
                                        + " used or expired: ask for another (POST /api/v1/events/tickets)")));
                    })))));
        }

        /**
         * The request's body read in full within {@code bodyDeadline} (408 otherwise) before any route sees it: a
         * client that trickles a body holds its connection no longer than that (hardening finding 5).
         */
        private Route bodyWithin(java.util.function.Supplier<Route> inner) {
            return extractRequestEntity(entity -> {
                if (entity.isStrict()) {
                    return inner.get();
                }
                return extractMaterializer(materializer -> onComplete(
                        entity.toStrict(bodyDeadline.toMillis(), materializer), read -> {
                            if (read.isSuccess()) {
                                return mapRequest(r -> r.withEntity(read.get()), inner);
                            }
                            Throwable e = read.failed().get();
                            if (e instanceof TimeoutException) {
                                return complete(ApiResponses.error(StatusCodes.REQUEST_TIMEOUT, "RequestTimeout",
                                        "the request body did not arrive within " + bodyDeadline.toSeconds() + " s",
                                        null));
                            }
                            return failWith(e);
                        }));
            });
        }

        private Route perVm(VmId id, String requestId, User user) {
            return concat(history.route(id), console.route(id), migrations.route(id, requestId, user.name()),
                    snapshots.route(id, requestId, user.name()));
        }

        private ExceptionHandler exceptions() {
            return ExceptionHandler.newBuilder()
                    .match(InvalidManifestException.class, e -> complete(ApiResponses.error(StatusCodes.BAD_REQUEST,
                            "Invalid", e.getMessage(), e.field())))
                    .match(TimeoutException.class, e -> complete(ApiResponses.error(StatusCodes.SERVICE_UNAVAILABLE,
                            "Timeout", "the VM did not answer in time; retry", null)))
                    .match(EntityStreamSizeException.class, e -> complete(ApiResponses.tooLarge(e)))
                    .match(IllegalRequestException.class, e -> complete(ApiResponses.illegal(e)))
                    .match(EntityStreamException.class, e -> complete(ApiResponses.malformedBody(e)))
                    .match(java.util.concurrent.CompletionException.class, e -> unwrap(e.getCause()))
                    .match(Throwable.class, e -> {
                        log.error("request failed", e);
                        return complete(ApiResponses.error(StatusCodes.INTERNAL_SERVER_ERROR, "Internal",
                                "internal error: " + e, null));
                    })
                    .build();
        }

        private Route unwrap(Throwable cause) {
            if (cause instanceof InvalidManifestException e) {
                return complete(ApiResponses.error(StatusCodes.BAD_REQUEST, "Invalid",
                        e.getMessage(), e.field()));
            }
            if (cause instanceof EntityStreamSizeException e) {
                return complete(ApiResponses.tooLarge(e));
            }
            if (cause instanceof IllegalRequestException e) {
                return complete(ApiResponses.illegal(e));
            }
            if (cause instanceof EntityStreamException e) {
                return complete(ApiResponses.malformedBody(e));
            }
            if (cause instanceof TimeoutException || (cause != null && cause.getClass().getSimpleName().contains("Timeout"))) {
                return complete(ApiResponses.error(StatusCodes.SERVICE_UNAVAILABLE, "Timeout",
                        "the VM did not answer in time; retry", null));
            }
            log.error("request failed", cause);
            return complete(ApiResponses.error(StatusCodes.INTERNAL_SERVER_ERROR, "Internal",
                    "internal error: " + cause, null));
        }

        private RejectionHandler rejections() {
            return RejectionHandler.newBuilder()
                    .handleAll(MethodRejection.class, rejections -> complete(
                            ApiResponses.error(StatusCodes.METHOD_NOT_ALLOWED, "MethodNotAllowed",
                                    "method not allowed here; allowed: " + rejections.stream()
                                            .map(r -> r.supported().name()).distinct().toList(), null)))
                    .handleNotFound(extractUnmatchedPath(path ->
                            complete(ApiResponses.error(StatusCodes.NOT_FOUND, "NotFound",
                                    "no such path; the API's paths are /api/v1/namespaces/{ns}/virtualmachines[/{name}[/…]],"
                                            + " /api/v1/namespaces/{ns}/rolebindings[/{name}], /api/v1/clusterrolebindings[/{name}],"
                                            + " /api/v1/virtualmachines, /api/v1/events and /api/v1/nodes", null))))
                    .build()
                    .withFallback(RejectionHandler.defaultHandler())
                    .mapRejectionResponse(ApiResponses::inErrorShape);
        }
    }
}
