package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Hardening finding 4 over HTTP: clients that ask for a replay and never read (a tiny receive buffer, nothing
 * read) outnumber the catch-up permits, and a new subscriber still gets its whole replay, and then new events,
 * at once.
 */
class StalledSubscribersTest {

    private static final int PERMITS = 2;
    private static final int STALLED = 3 * PERMITS;
    /**
     * More than a stalled replay's buffers and sockets hold (about 16 KiB of labels and node selector an event,
     * 10 MiB in all), so that it cannot end while its client sleeps.
     */
    private static final int VMS = 640;
    private static final String NS = "stalled";

    @RegisterExtension
    static final RunningVireo vireo = new RunningVireo()
            .with("vireo.persistence.event-stream.concurrent-catch-ups", PERMITS);

    @Test
    void replaysNobodyReadsDoNotDelayANewSubscriber() throws Exception {
        createVms();
        List<Socket> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < STALLED; i++) {
                Socket socket = new Socket();
                socket.setReceiveBufferSize(1024);
                socket.connect(new InetSocketAddress("127.0.0.1", vireo.port()), 5000);
                socket.getOutputStream().write(RawHttp.authorized(("GET /api/v1/events?since=0&namespace=" + NS
                        + " HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII)));
                stalled.add(socket);
            }
            Thread.sleep(3000); // their replays fill what buffers there are, and stall

            long start = System.nanoTime();
            try (SseSubscription fresh = SseSubscription.open(vireo.api(), "since=0&namespace=" + NS)) {
                AtomicInteger created = new AtomicInteger();
                fresh.takeUntil(e -> e.type().equals("VmCreated") && created.incrementAndGet() == VMS,
                        Duration.ofSeconds(30));
                System.out.printf("replay of %d VMs beside %d stalled replays: %d ms%n", VMS, STALLED,
                        (System.nanoTime() - start) / 1_000_000);
                String late = "late-" + Manifests.uniqueName("vm");
                assertEquals(201, vireo.api().create(NS, Manifests.json(late, "Halted")).status());
                fresh.takeUntil(e -> e.vm().equals(NS + "/" + late), Duration.ofSeconds(10));
            }
        } finally {
            for (Socket socket : stalled) {
                socket.close();
            }
        }
    }

    /** A Halted VM with as many labels and node selector entries as may be, each as long as may be. */
    private static String bulky(String name) {
        StringBuilder labels = new StringBuilder();
        for (int i = 0; i < 64; i++) {
            labels.append(i == 0 ? "" : ", ").append('"').append(String.format("k%02d", i)).append("a".repeat(60))
                    .append("\": \"").append("v".repeat(63)).append('"');
        }
        return """
                {"apiVersion": "vireo.dev/v1", "kind": "VirtualMachine",
                 "metadata": {"name": "%s", "labels": {%s}},
                 "spec": {"runStrategy": "Halted", "cpu": {"cores": 1}, "memory": "64Mi", "nodeSelector": {%s}}}
                """.formatted(name, labels, labels);
    }

    private static void createVms() throws Exception {
        Semaphore inFlight = new Semaphore(32);
        List<CompletableFuture<Integer>> creates = new ArrayList<>();
        for (int i = 0; i < VMS; i++) {
            inFlight.acquire();
            HttpRequest request = vireo.api().authorized(HttpRequest.newBuilder(URI.create(vireo.api().base() + Api.vms(NS))))
                    .header("Content-Type", Api.JSON_TYPE)
                    .POST(HttpRequest.BodyPublishers.ofString(bulky("vm-" + i)))
                    .timeout(Duration.ofSeconds(60)).build();
            creates.add(vireo.api().http().sendAsync(request, HttpResponse.BodyHandlers.discarding())
                    .thenApply(HttpResponse::statusCode)
                    .whenComplete((s, e) -> inFlight.release()));
        }
        for (CompletableFuture<Integer> create : creates) {
            assertEquals(201, create.get(), "a create");
        }
    }
}
