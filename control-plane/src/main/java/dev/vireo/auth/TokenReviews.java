package dev.vireo.auth;

import dev.vireo.protocol.auth.User;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.api.model.authentication.UserInfo;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bearer tokens checked by the Kubernetes API server (TokenReview), for a Vireo that runs under Kubernetes:
 * a service account's token, or any token the API server's authenticators accept, is a user with the name,
 * uid and groups the review answers. An answer is kept {@code ttl} (by the token's SHA-256, never the token),
 * as Kubernetes' own webhook authenticator keeps its answers: a token revoked in Kubernetes is refused, and
 * an open event stream of its user closed, at most that long after. An API server that cannot be reached
 * lets no reviewed token in (the token file's users are not affected), and is asked again a second later.
 */
public final class TokenReviews implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TokenReviews.class);
    private static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(1);
    private static final int KEPT = 10_000;

    private final KubernetesClient client;
    private final Duration ttl;
    private final List<String> audiences;
    private final ExecutorService asking;
    private final ConcurrentHashMap<String, Answer> answers = new ConcurrentHashMap<>();
    private volatile long lastFailureLogged;

    /** An answer, or the question still out; {@code until}: when it must be asked again (nanoTime). */
    private record Answer(CompletableFuture<Optional<User>> user, long until) {
    }

    public TokenReviews(KubernetesClient client, Duration ttl, List<String> audiences) {
        this.client = client;
        this.ttl = ttl;
        this.audiences = List.copyOf(audiences);
        this.asking = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "vireo-token-review");
            t.setDaemon(true);
            return t;
        });
    }

    /** The user the API server says {@code token} is; a kept answer while it is fresh. */
    public CompletionStage<Optional<User>> review(String token) {
        String key = TokenFile.digest(token);
        long now = System.nanoTime();
        Answer kept = answers.get(key);
        if (kept != null && now - kept.until() < 0) {
            return kept.user();
        }
        if (answers.size() >= KEPT) {
            answers.clear();
        }
        CompletableFuture<Optional<User>> asked = CompletableFuture.supplyAsync(() -> ask(token), asking);
        Answer fresh = new Answer(asked, now + ttl.toNanos());
        answers.put(key, fresh);
        asked.whenComplete((user, failure) -> {
            if (failure != null) {
                answers.replace(key, fresh, new Answer(asked, System.nanoTime() + RETRY_AFTER_FAILURE.toNanos()));
            }
        });
        return asked.exceptionally(failure -> Optional.empty());
    }

    /**
     * What is known of {@code token} now, without waiting: the last answer (asking again in the background once
     * it is old), empty while none is in. For checks that run again and again (an open event stream).
     */
    public Optional<User> known(String token) {
        Answer before = answers.get(TokenFile.digest(token));
        CompletableFuture<Optional<User>> now = review(token).toCompletableFuture();
        if (now.isDone()) {
            return now.getNow(Optional.empty());
        }
        // asked again: the answer before stands meanwhile
        return before != null && before.user().isDone()
                ? before.user().exceptionally(failure -> Optional.empty()).getNow(Optional.empty()) : Optional.empty();
    }

    private Optional<User> ask(String token) {
        try {
            TokenReview review = client.authentication().v1().tokenReviews().create(new TokenReviewBuilder()
                    .withNewSpec().withToken(token).withAudiences(audiences.isEmpty() ? null : audiences).endSpec()
                    .build());
            TokenReviewStatus status = review.getStatus();
            if (status == null || !Boolean.TRUE.equals(status.getAuthenticated()) || status.getUser() == null
                    || status.getUser().getUsername() == null || status.getUser().getUsername().isBlank()) {
                return Optional.empty();
            }
            UserInfo info = status.getUser();
            return Optional.of(new User(info.getUsername(), info.getUid() == null ? "" : info.getUid(),
                    info.getGroups() == null ? java.util.Set.of() : new HashSet<>(info.getGroups())));
        } catch (RuntimeException e) {
            long now = System.nanoTime();
            if (now - lastFailureLogged > Duration.ofMinutes(1).toNanos()) {
                lastFailureLogged = now;
                log.warn("TokenReview on {} failed, tokens it would check are refused meanwhile: {}",
                        client.getMasterUrl(), e.toString());
            }
            throw e;
        }
    }

    @Override
    public void close() {
        asking.shutdownNow();
        client.close();
    }
}
