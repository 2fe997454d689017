package dev.vireo.node;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.libvirt.LibvirtException;

/**
 * The threads of one node agent on which its libvirt calls run: they block, and the actor's thread
 * must not. A few threads, so that one slow domain does not hold up the others.
 */
final class LibvirtPool {

    private static final int THREADS = 4;

    private final ExecutorService executor;

    LibvirtPool(String nodeName) {
        this.executor = Executors.newFixedThreadPool(THREADS, daemonThreads("libvirt-" + nodeName));
    }

    /** Runs {@code call} on the pool; its failure completes the stage exceptionally. */
    <T> CompletionStage<T> call(Callable<T> call) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return call.call();
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, executor);
    }

    void execute(Runnable task) {
        executor.execute(task);
    }

    /** Takes no more work; what is queued (closing a connection) still runs. */
    void shutdown() {
        executor.shutdown();
    }

    /**
     * An executor that runs each task on a daemon thread of its own: for a one-off libvirt call that may hang
     * (a probe with a deadline), which must hold neither the common pool nor a thread of the agent's pool.
     */
    static Executor ownThread(String name) {
        return task -> {
            Thread thread = new Thread(task, name);
            thread.setDaemon(true);
            thread.start();
        };
    }

    /** What went wrong in a call, in libvirt's words where libvirt said it. */
    static String rootMessage(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause.getCause() != null && cause.getMessage() == null)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof LibvirtException libvirt && libvirt.getError() != null) {
            return libvirt.getError().getMessage();
        }
        return cause.getMessage() != null ? cause.getMessage() : cause.toString();
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
