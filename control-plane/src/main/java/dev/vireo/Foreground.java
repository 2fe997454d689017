package dev.vireo;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** How a launcher runs its part of Vireo: started, then in the foreground until SIGTERM or Ctrl-C stops it. */
final class Foreground {

    /** The exit code of a control plane whose actor system ended without being asked to stop (EX_SOFTWARE). */
    static final int ENDED = 70;

    private Foreground() {
    }

    /**
     * Starts {@code what} and runs until the JVM is asked to stop, then closes it.
     *
     * @return the exit code: 0 after a clean stop, 1 when it could not start (said on stderr)
     */
    static int run(String what, Callable<? extends AutoCloseable> start) throws InterruptedException {
        AutoCloseable running;
        try {
            running = start.call();
        } catch (Exception e) {
            System.err.println("error: " + what + " could not start: " + rootMessage(e));
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
        if (running instanceof EndsOnItsOwn ends) {
            // Downed by the cluster (or ended by a fatal error) without being asked to stop: a process whose actor
            // system is gone answers nothing, so it ends, and whatever runs it (systemd, Kubernetes) starts it again.
            ends.ended().thenRun(() -> {
                if (!closing.get()) {
                    System.err.println("error: " + what + " stopped: its actor system ended (downed by the cluster?);"
                            + " exiting with " + ENDED + " so that it is started again");
                    System.exit(ENDED);
                }
            });
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            closing.set(true);
            try {
                running.close();
            } catch (Exception e) {
                System.err.println("warning: " + what + " did not stop cleanly: " + e);
            }
            stopped.countDown();
        }, "vireo-shutdown"));
        stopped.await();
        return 0;
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t.getMessage() + ")";
    }
}
