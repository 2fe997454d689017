package dev.vireo.persistence;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Group commit for the embedded journal: a committed write waits for the next force of the journal's file to
 * stable storage, and every write that committed before that force began shares it. Forces run one after
 * the other on their own thread, so while one runs the writes that commit meanwhile gather for the next.
 *
 * <p>Also the journal's durable horizon: the newest ordering committed before the last completed force. A
 * reader of the log that must not show what a power cut could take back reads up to it.
 */
public final class JournalForce implements Extension {

    /** Writes one force covers, for a read of the metrics; a force is its own fsync of the journal file. */
    public record Counts(long forces, long eventsForced) {
    }

    private final JournalDatabase database;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "vireo-journal-force");
        t.setDaemon(true);
        return t;
    });
    private final Object lock = new Object();
    /**
     * Held by a force and by the journal writer around each of its transactions. H2 stores its maps one after
     * the other while other transactions go on (h2database issue #2080, "consistent snapshot is only ensured
     * for a single map"): a force during an insert could store the row's index entry without its undo record,
     * and after a power cut at that point the journal's first query failed on an index entry with no row
     * (PowerCutDurabilityTest, about 1 run in 200). Other writers of the database (the snapshot store, the
     * read models' projections) are not held out yet.
     */
    private final ReentrantLock storeLock = new ReentrantLock();
    /** Writes waiting for a force that has not begun yet; null when none wait. */
    private CompletableFuture<Void> waiting;
    private long eventsWaiting;
    private boolean forcing;
    private final AtomicLong forces = new AtomicLong();
    private final AtomicLong eventsForced = new AtomicLong();
    /** -1 until the first force: what the file held at start may not have reached the disk yet. */
    private volatile long durableOrdering = -1;

    JournalForce(JournalDatabase database) {
        this.database = database;
    }

    public static JournalForce get(ActorSystem<?> system) {
        return Id.INSTANCE.apply(system);
    }

    /**
     * Completes once a force that began after this call has completed: call it after {@code events} events
     * committed, and they are then on stable storage.
     */
    public CompletionStage<Void> afterCommit(int events) {
        synchronized (lock) {
            if (waiting == null) {
                waiting = new CompletableFuture<>();
            }
            eventsWaiting += events;
            CompletableFuture<Void> mine = waiting;
            if (!forcing) {
                forcing = true;
                thread.execute(this::forceWhileWaited);
            }
            return mine;
        }
    }

    /** {@code transaction}'s result; no force runs while it does. */
    <T> T excludingForces(Supplier<T> transaction) {
        storeLock.lock();
        try {
            return transaction.get();
        } finally {
            storeLock.unlock();
        }
    }

    /** The newest ordering known to be on stable storage; forces once first if nothing is known yet. */
    CompletionStage<Long> durableOrdering() {
        long known = durableOrdering;
        return known >= 0 ? CompletableFuture.completedFuture(known)
                : afterCommit(0).thenApply(done -> durableOrdering);
    }

    public Counts counts() {
        return new Counts(forces.get(), eventsForced.get());
    }

    private void forceWhileWaited() {
        while (true) {
            CompletableFuture<Void> batch;
            long events;
            synchronized (lock) {
                batch = waiting;
                events = eventsWaiting;
                waiting = null;
                eventsWaiting = 0;
                if (batch == null) {
                    forcing = false;
                    return;
                }
            }
            try {
                long committed = excludingForces(database::forceToDisk);
                durableOrdering = Math.max(durableOrdering, committed);
                forces.incrementAndGet();
                eventsForced.addAndGet(events);
                batch.complete(null);
            } catch (RuntimeException | Error e) {
                batch.completeExceptionally(e);
            }
        }
    }

    private static final class Id extends ExtensionId<JournalForce> {
        static final Id INSTANCE = new Id();

        @Override
        public JournalForce createExtension(ActorSystem<?> system) {
            JournalForce force = new JournalForce(new JournalDatabase(system));
            system.getWhenTerminated().thenRun(force.thread::shutdown);
            return force;
        }
    }
}
