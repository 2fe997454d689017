package dev.vireo.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Waits for one VM to reach a {@link Goal}, printing each phase change as it happens
 * ({@code web-1: Scheduling -> Starting (node local)}).
 *
 * <p>The VM's event stream ({@code /api/v1/events?namespace=..&name=..}) is only the doorbell: every
 * event, and every second without one, triggers a GET of the VM, whose {@code status} is the truth.
 * So nothing is missed between events, and the wait still works, by polling, when the stream cannot
 * be opened. Open the watch before sending the action, so that no event slips by.
 */
final class PhaseWatch implements AutoCloseable {
    private static final Duration POLL = Duration.ofSeconds(1);

    /** What the goal is judged on. */
    record Progress(VmView now, boolean leftRunning, Set<String> eventsSeen, boolean incarnationChanged) {
    }

    private final VireoClient client;
    private final String namespace;
    private final String name;
    private final PrintWriter out;
    private final EventStream stream;
    private final VmView before;
    private final Set<String> eventsSeen = new HashSet<>();
    private String lastEventSummary;

    private PhaseWatch(VireoClient client, String namespace, String name, PrintWriter out, EventStream stream, VmView before) {
        this.client = client;
        this.namespace = namespace;
        this.name = name;
        this.out = out;
        this.stream = stream;
        this.before = before;
    }

    static PhaseWatch open(VireoClient client, String namespace, String name, PrintWriter out) {
        EventStream stream;
        try {
            stream = EventStream.open(client, "/api/v1/events"
                    + VireoClient.query(VireoClient.params("namespace", namespace, "name", name)), Duration.ofSeconds(10));
        } catch (ServerUnreachable e) {
            throw e;
        } catch (CommandFailure e) {
            stream = null; // no stream: fall back to polling alone
        }
        VmView before = observe(client, namespace, name);
        return new PhaseWatch(client, namespace, name, out, stream, before);
    }

    /** Returns when the goal is reached; throws a {@link CommandFailure} on a failure phase or timeout. */
    void await(Goal goal, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        VmView last = before;
        boolean leftRunning = false;
        boolean printed = false;
        try {
            while (true) {
                VmView now = observe(client, namespace, name);
                if (changed(last, now)) {
                    out.println(name + ": " + transition(last, now));
                    out.flush();
                    printed = true;
                }
                last = now;
                leftRunning |= now.exists() && !"Running".equals(now.phase());
                boolean incarnationChanged = before.exists() && now.exists()
                        && !Objects.equals(before.incarnation(), now.incarnation());
                if (goal.reached().test(new Progress(now, leftRunning, eventsSeen, incarnationChanged))) {
                    if (!printed) {
                        out.println(name + ": " + now.describe());
                        out.flush();
                    }
                    return;
                }
                if (goal.failuresEnd() && now.exists() && Goal.FAILURE_PHASES.contains(now.phase())) {
                    throw new CommandFailure(CommandFailure.WAIT_FAILED, name + " is " + now.phase() + ": " + why(now));
                }
                Duration left = Duration.between(Instant.now(), deadline);
                if (left.isNegative() || left.isZero()) {
                    throw new CommandFailure(CommandFailure.WAIT_TIMED_OUT, "gave up after " + Age.of(timeout)
                            + " waiting for " + name + " to " + goal.description() + " (it is " + now.describe()
                            + "); it may still get there: see vireo history " + name);
                }
                pause(left.compareTo(POLL) < 0 ? left : POLL);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailure(CommandFailure.WAIT_FAILED, "interrupted while waiting for " + name);
        }
    }

    /** Waits for the next event (then takes all that are already there) or for {@code max}. */
    private void pause(Duration max) throws InterruptedException {
        if (stream == null || stream.ended()) {
            Thread.sleep(max.toMillis());
            return;
        }
        Optional<SseEvent> event = stream.next(max);
        while (event.isPresent()) {
            remember(event.get());
            event = stream.next(Duration.ofMillis(20));
        }
    }

    private void remember(SseEvent event) {
        eventsSeen.add(event.event());
        lastEventSummary = (event.event() + " " + DataSummary.of(DataSummary.parse(event.data()).path("data"))).strip();
    }

    private String why(VmView now) {
        String reason = now.reason();
        if (reason != null) {
            return reason;
        }
        if (lastEventSummary != null) {
            return "last event " + lastEventSummary;
        }
        return "no reason given; see vireo history " + name;
    }

    /** "Scheduling -> Starting (node local)"; the old node is shown only when it changed (a migration). */
    static String transition(VmView last, VmView now) {
        if (!last.exists()) {
            return now.describe();
        }
        boolean moved = last.node() != null && now.node() != null && !last.node().equals(now.node());
        String from = moved ? last.describe() : (last.phase() == null ? "Unknown" : last.phase());
        return from + " -> " + now.describe();
    }

    private static boolean changed(VmView last, VmView now) {
        return last.exists() != now.exists()
                || !Objects.equals(last.phase(), now.phase())
                || !Objects.equals(last.node(), now.node());
    }

    private static VmView observe(VireoClient client, String namespace, String name) {
        return client.find(VireoClient.vmPath(namespace, name)).map(VmView::of).orElse(VmView.GONE);
    }

    @Override
    public void close() {
        if (stream != null) {
            stream.close();
        }
    }
}
