package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.time.Instant;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Waiting with a deadline: poll until a condition holds, fail with what was last seen. */
final class Eventually {

    static final Duration POLL = Duration.ofMillis(100);

    private Eventually() {
    }

    static <T> T get(String what, Duration within, Supplier<T> probe, Predicate<T> done) {
        Instant deadline = Instant.now().plus(within);
        T last = null;
        RuntimeException lastError = null;
        while (true) {
            try {
                last = probe.get();
                lastError = null;
                if (done.test(last)) {
                    return last;
                }
            } catch (RuntimeException e) {
                lastError = e;
            }
            if (Instant.now().isAfter(deadline)) {
                fail("gave up after " + within.toSeconds() + "s waiting for " + what + "; last seen: "
                        + (lastError != null ? lastError : last));
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    static void until(String what, Duration within, Supplier<Boolean> condition) {
        get(what, within, condition, Boolean::booleanValue);
    }
}
