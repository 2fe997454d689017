package dev.vireo.api;

import java.time.Duration;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.BidiShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection with no request in progress must bring its next complete request head within {@code deadline}
 * (from the moment it opened, or the end of its last response), or it is closed. pekko-http's idle timeout
 * counts from the last byte, so a client sending one header byte every few seconds held a connection forever
 * (slow-loris, hardening finding 5); this counts from the last complete request. A response still streaming (the
 * event stream, a followed console) keeps its connection busy, not idle.
 *
 * <p>Sits between the connection's HTTP layer and the routes: requests flow top to bottom, responses back.
 */
final class RequestDeadline extends GraphStage<BidiShape<HttpRequest, HttpRequest, HttpResponse, HttpResponse>> {

    private static final Logger log = LoggerFactory.getLogger(RequestDeadline.class);
    private static final String IDLE = "idle";

    private final Inlet<HttpRequest> fromClient = Inlet.create("RequestDeadline.fromClient");
    private final Outlet<HttpRequest> toRoutes = Outlet.create("RequestDeadline.toRoutes");
    private final Inlet<HttpResponse> fromRoutes = Inlet.create("RequestDeadline.fromRoutes");
    private final Outlet<HttpResponse> toClient = Outlet.create("RequestDeadline.toClient");
    private final BidiShape<HttpRequest, HttpRequest, HttpResponse, HttpResponse> shape =
            BidiShape.of(fromClient, toRoutes, fromRoutes, toClient);
    private final Duration deadline;
    private final String client;

    RequestDeadline(Duration deadline, String client) {
        this.deadline = deadline;
        this.client = client;
    }

    @Override
    public BidiShape<HttpRequest, HttpRequest, HttpResponse, HttpResponse> shape() {
        return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes inheritedAttributes) {
        return new TimerGraphStageLogic(shape) {
            /** Requests handed to the routes whose responses have not ended yet. */
            private int inProgress;
            private AsyncCallback<Object> streamEnded;

            {
                setHandler(fromClient, new AbstractInHandler() {
                    @Override
                    public void onPush() {
                        cancelTimer(IDLE);
                        inProgress++;
                        push(toRoutes, grab(fromClient));
                    }

                    @Override
                    public void onUpstreamFinish() {
                        complete(toRoutes); // a response still owed goes out before the connection closes
                    }
                });
                setHandler(toRoutes, new AbstractOutHandler() {
                    @Override
                    public void onPull() {
                        pull(fromClient);
                    }

                    @Override
                    public void onDownstreamFinish(Throwable cause) {
                        cancel(fromClient, cause);
                    }
                });
                setHandler(fromRoutes, new AbstractInHandler() {
                    @Override
                    public void onPush() {
                        HttpResponse response = grab(fromRoutes);
                        if (response.status().intValue() == 101) {
                            cancelTimer(IDLE); // a WebSocket (the console) now owns the connection
                        } else if (response.entity().isStrict()) {
                            answered();
                        } else {
                            response = watched(response);
                        }
                        push(toClient, response);
                    }
                });
                setHandler(toClient, new AbstractOutHandler() {
                    @Override
                    public void onPull() {
                        pull(fromRoutes);
                    }
                });
            }

            @Override
            public void preStart() {
                streamEnded = createAsyncCallback(ignored -> answered());
                scheduleOnce(IDLE, deadline);
            }

            private void answered() {
                inProgress = Math.max(0, inProgress - 1);
                if (inProgress == 0) {
                    scheduleOnce(IDLE, deadline);
                }
            }

            /** The response with its body's end (or failure, or the client going away) counted as the answer. */
            private HttpResponse watched(HttpResponse response) {
                var entity = (org.apache.pekko.http.scaladsl.model.ResponseEntity) response.entity();
                Flow<ByteString, ByteString, Object> watch = Flow.of(ByteString.class).watchTermination((mat, done) -> {
                    done.whenComplete((d, e) -> streamEnded.invoke(Boolean.TRUE));
                    return (Object) mat;
                });
                return response.withEntity(entity.transformDataBytes(watch.asScala()));
            }

            @Override
            public void onTimer(Object key) {
                log.info("connection from {} closed: no complete request within {} s", client, deadline.toSeconds());
                completeStage();
            }
        };
    }
}
