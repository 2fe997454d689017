package dev.vireo.vm;

import dev.vireo.persistence.VmList;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * How far the {@link VmList} has taken in the event log, and a wait until it has got to an offset: what makes
 * a list show every write acknowledged before it was asked for. The projection in this JVM says so the moment
 * it writes; while anyone waits, the list's stored offset is also read every {@link #POLL}, for a projection
 * that runs elsewhere.
 */
public final class VmListFreshness {

    static final Duration POLL = Duration.ofMillis(50);

    /** The list did not get to the offset in time. */
    public static final class Behind extends RuntimeException {
        Behind(long wanted, long reached, Duration patience) {
            super("the VM list has taken in the event log up to offset " + reached + ", not yet " + wanted
                    + " (it waited " + patience.toMillis() + " ms); retry in a moment");
        }
    }

    private record Waiter(long offset, CompletableFuture<Long> done) {
    }

    private final ActorSystem<?> system;
    private final VmList vmList;
    private final List<Waiter> waiters = new ArrayList<>();
    private long reached;
    private boolean polling;

    public VmListFreshness(ActorSystem<?> system) {
        this.system = system;
        this.vmList = VmList.get(system);
    }

    /** The list has taken in every event up to {@code offset}. */
    public void reached(long offset) {
        List<Waiter> ready = new ArrayList<>();
        long now;
        synchronized (this) {
            if (offset > reached) {
                reached = offset;
            }
            now = reached;
            waiters.removeIf(w -> w.offset() <= now && ready.add(w));
        }
        ready.forEach(w -> w.done().complete(now));
    }

    /**
     * Completes with the offset the list has got to once it is at least {@code offset}; fails with {@link Behind}
     * after {@code patience}.
     */
    public CompletionStage<Long> caughtUpTo(long offset, Duration patience) {
        CompletableFuture<Long> done = new CompletableFuture<>();
        boolean poll;
        synchronized (this) {
            if (reached >= offset) {
                return CompletableFuture.completedFuture(reached);
            }
            Waiter waiter = new Waiter(offset, done);
            waiters.add(waiter);
            poll = !polling;
            polling = true;
            done.orTimeout(patience.toMillis(), TimeUnit.MILLISECONDS).whenComplete((ok, failure) -> {
                synchronized (this) {
                    waiters.remove(waiter);
                }
            });
        }
        if (poll) {
            schedulePoll();
        }
        return done.exceptionallyCompose(failure -> CompletableFuture.failedFuture(
                failure instanceof java.util.concurrent.TimeoutException ? new Behind(offset, reachedSoFar(), patience)
                        : failure));
    }

    synchronized long reachedSoFar() {
        return reached;
    }

    private void schedulePoll() {
        system.scheduler().scheduleOnce(POLL, () -> vmList.offset().whenComplete((offset, failure) -> {
            if (offset != null) {
                reached(offset);
            }
            boolean again;
            synchronized (this) {
                again = !waiters.isEmpty();
                polling = again;
            }
            if (again) {
                schedulePoll();
            }
        }), system.executionContext());
    }
}
