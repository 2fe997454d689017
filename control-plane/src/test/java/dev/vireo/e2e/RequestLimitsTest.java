package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Per-user limits: a rate of requests (429 with Retry-After) and a number of open event streams. */
class RequestLimitsTest {

    @RegisterExtension
    static final RunningVireo vireo = new RunningVireo()
            .with("vireo.limits.requests-per-second", 1)
            .with("vireo.limits.burst", 5)
            .with("vireo.limits.event-streams-per-user", 2);

    private final TokenLines tokens = new TokenLines(vireo.dataDir().resolve("tokens.csv"));

    private Api viewer(String name) {
        assertEquals(201, vireo.api().put("/api/v1/namespaces/default/rolebindings/" + name, Api.JSON_TYPE,
                "{\"role\": \"viewer\", \"subjects\": [{\"kind\": \"User\", \"name\": \"" + name + "\"}]}").status());
        return vireo.api().as(tokens.add(name, ""));
    }

    @Test
    void aUserBeyondItsRateIsAnswered429WithRetryAfterAndTheOthersAreNot() throws Exception {
        Api greedy = viewer("greedy");
        Api other = viewer("patient");
        List<Integer> statuses = new ArrayList<>();
        java.net.http.HttpResponse<String> limited = null;
        for (int i = 0; i < 10 && limited == null; i++) {
            var r = greedy.http().send(greedy.request(Api.vms("default")).GET().build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            statuses.add(r.statusCode());
            if (r.statusCode() == 429) {
                limited = r;
            }
        }
        assertTrue(limited != null, "no 429 within 10 requests: " + statuses);
        assertTrue(statuses.subList(0, 5).stream().allMatch(s -> s == 200), "the burst goes through: " + statuses);
        long retryAfter = Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(retryAfter >= 1 && retryAfter <= 2, "Retry-After " + retryAfter);
        assertEquals("TooManyRequests", Api.parse(limited.body()).path("code").asText(), limited.body());

        assertEquals(200, other.get(Api.vms("default")).status(), "another user is not held back");
        assertEquals(200, vireo.api().get(Api.vms("default")).status(), "nor the admins");
        Thread.sleep(Duration.ofSeconds(retryAfter).toMillis() + 100);
        assertEquals(200, greedy.get(Api.vms("default")).status(), "after Retry-After it may go on");
    }

    @Test
    void aUserMayHoldOnlySoManyEventStreamsOpen() throws Exception {
        Api watcher = viewer("watcher");
        try (SseSubscription first = SseSubscription.open(watcher, "");
             SseSubscription second = SseSubscription.open(watcher, "")) {
            assertEquals(200, first.status());
            assertEquals(200, second.status());
            try (SseSubscription third = SseSubscription.open(watcher, "")) {
                assertEquals(429, third.status());
            }
        }
        // closed: the slots come back once the server has seen the streams end (a limited user's stream is
        // written to every second, so a closed connection is found within seconds)
        Api.Response again = Eventually.get("a stream slot to come back", Duration.ofSeconds(10), () -> {
            try (SseSubscription s = SseSubscription.open(watcher, "")) {
                return new Api.Response(s.status(), null, "", null);
            }
        }, r -> r.status() == 200);
        assertEquals(200, again.status());
    }
}
