package dev.vireo.kube;

import dev.vireo.protocol.vm.VmId;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread reconciles, so that no two writes to a CR race each other. A VM queued twice before its turn
 * is reconciled once (the reconcile reads everything afresh); one queued while it is being reconciled is
 * reconciled again afterwards, since it may have missed the newer change.
 */
final class ReconcileQueue implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReconcileQueue.class);

    private final Consumer<VmId> reconcile;
    private final Duration retryBase;
    private final Duration retryMax;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "vireo-kube-sync");
        t.setDaemon(true);
        return t;
    });
    private final Map<VmId, CompletableFuture<Void>> queued = new ConcurrentHashMap<>();
    private final Map<VmId, Integer> failures = new ConcurrentHashMap<>();

    ReconcileQueue(Consumer<VmId> reconcile, Duration retryBase, Duration retryMax) {
        this.reconcile = reconcile;
        this.retryBase = retryBase;
        this.retryMax = retryMax;
    }

    /** Completes when a reconcile of {@code id} that started after this call has finished (or failed). */
    CompletableFuture<Void> submit(VmId id) {
        return queued.computeIfAbsent(id, key -> {
            CompletableFuture<Void> done = new CompletableFuture<>();
            thread.execute(() -> run(key, done));
            return done;
        });
    }

    /** Like {@link #submit}, and on failure tried again later with back-off, until it succeeds. */
    void submitRetrying(VmId id) {
        submit(id).whenComplete((ok, error) -> {
            if (error == null) {
                failures.remove(id);
                return;
            }
            int n = failures.merge(id, 1, Integer::sum);
            long delay = Math.min(retryMax.toMillis(), retryBase.toMillis() << Math.min(n - 1, 20));
            log.warn("{}: Kubernetes sync failed ({}); trying again in {} ms", id, error.toString(), delay);
            if (!thread.isShutdown()) {
                thread.schedule(() -> submitRetrying(id), delay, TimeUnit.MILLISECONDS);
            }
        });
    }

    private void run(VmId id, CompletableFuture<Void> done) {
        queued.remove(id, done);
        try {
            reconcile.accept(id);
            done.complete(null);
        } catch (RuntimeException e) {
            done.completeExceptionally(e);
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
