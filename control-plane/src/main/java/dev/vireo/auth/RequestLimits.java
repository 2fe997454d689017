package dev.vireo.auth;

import com.typesafe.config.Config;
import dev.vireo.protocol.auth.User;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Per-user limits, so that one user cannot crowd out the others: a rate of requests (a token bucket of
 * {@code burst} requests, refilled at {@code requestsPerSecond}) and a number of open event streams. Members
 * of an exempt group (by default {@code vireo:admins}: operators and their automation) are not limited.
 */
public final class RequestLimits {

    private final double requestsPerSecond;
    private final int burst;
    private final int streamsPerUser;
    private final Set<String> exemptGroups;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AtomicInteger> streams = new ConcurrentHashMap<>();

    public RequestLimits(double requestsPerSecond, int burst, int streamsPerUser, Set<String> exemptGroups) {
        this.requestsPerSecond = requestsPerSecond;
        this.burst = burst;
        this.streamsPerUser = streamsPerUser;
        this.exemptGroups = Set.copyOf(exemptGroups);
    }

    /** From {@code vireo.limits}. */
    public static RequestLimits of(Config limits) {
        return new RequestLimits(limits.getDouble("requests-per-second"), limits.getInt("burst"),
                limits.getInt("event-streams-per-user"), Set.copyOf(limits.getStringList("exempt-groups")));
    }

    public double requestsPerSecond() {
        return requestsPerSecond;
    }

    public int streamsPerUser() {
        return streamsPerUser;
    }

    /** Whether {@code user} is in an exempt group: no limit applies to it. */
    public boolean exempt(User user) {
        return user.groups().stream().anyMatch(exemptGroups::contains);
    }

    /** Empty when {@code user} may send this request now; else how long to wait before the next one. */
    public Optional<Duration> request(User user) {
        if (exempt(user)) {
            return Optional.empty();
        }
        return buckets.computeIfAbsent(user.name(), name -> new Bucket(burst)).take(requestsPerSecond, burst);
    }

    /**
     * A slot for one more open event stream of {@code user} (give it back with {@link Runnable#run} when the
     * stream ends), or empty when the user has as many open as it may.
     */
    public Optional<Runnable> openStream(User user) {
        if (exempt(user)) {
            return Optional.of(() -> { });
        }
        AtomicInteger open = streams.computeIfAbsent(user.name(), name -> new AtomicInteger());
        if (open.incrementAndGet() > streamsPerUser) {
            open.decrementAndGet();
            return Optional.empty();
        }
        AtomicInteger once = new AtomicInteger();
        return Optional.of(() -> {
            if (once.getAndIncrement() == 0) {
                open.decrementAndGet();
            }
        });
    }

    /** A token bucket: {@code tokens} requests may go now; it fills at the rate, up to the burst. */
    private static final class Bucket {
        private double tokens;
        private long updated = System.nanoTime();

        Bucket(int burst) {
            this.tokens = burst;
        }

        synchronized Optional<Duration> take(double perSecond, int burst) {
            long now = System.nanoTime();
            tokens = Math.min(burst, tokens + (now - updated) / 1e9 * perSecond);
            updated = now;
            if (tokens >= 1) {
                tokens -= 1;
                return Optional.empty();
            }
            return Optional.of(Duration.ofNanos((long) ((1 - tokens) / perSecond * 1e9)));
        }
    }
}
