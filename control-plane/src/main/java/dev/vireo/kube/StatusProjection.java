package dev.vireo.kube;

import dev.vireo.persistence.EventLog;
import dev.vireo.persistence.StoredEvent;
import dev.vireo.protocol.vm.VmId;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.RestartSettings;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.RestartSource;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entity's state flowing back to the CRs: every event of the global stream has its VM reconciled
 * (status, spec written over HTTP, deletes), and only then is its offset stored. A failure (API server
 * away, too many conflicts) restarts the stream with back-off from the stored offset, so no event is
 * skipped; events are grouped so that a VM with many events is written once per batch.
 */
final class StatusProjection implements AutoCloseable {

    static final String NAME = "kubernetes-status";
    private static final Logger log = LoggerFactory.getLogger(StatusProjection.class);

    private final UniqueKillSwitch killSwitch;

    private StatusProjection(UniqueKillSwitch killSwitch) {
        this.killSwitch = killSwitch;
    }

    static StatusProjection start(ActorSystem<?> system, ReconcileQueue queue) {
        EventLog eventLog = EventLog.get(system);
        RestartSettings restart = RestartSettings.create(Duration.ofMillis(500), Duration.ofSeconds(30), 0.2);
        Source<Long, ?> source = RestartSource.withBackoff(restart, () ->
                Source.completionStage(eventLog.projectionOffset(NAME))
                        .flatMapConcat(from -> {
                            log.info("Kubernetes status projection resumes after offset {}", from);
                            return eventLog.stream(from);
                        })
                        .groupedWithin(256, Duration.ofMillis(50))
                        .mapAsync(1, batch -> handle(batch, queue)
                                .thenCompose(last -> eventLog.saveProjectionOffset(NAME, last).thenApply(done -> last))));
        UniqueKillSwitch killSwitch = source.viaMat(KillSwitches.single(), Keep.right())
                .toMat(Sink.ignore(), Keep.left()).run(system);
        return new StatusProjection(killSwitch);
    }

    private static CompletionStage<Long> handle(List<StoredEvent> batch, ReconcileQueue queue) {
        Set<VmId> vms = new LinkedHashSet<>();
        batch.forEach(e -> vms.add(e.vm()));
        long last = batch.get(batch.size() - 1).offset();
        return CompletableFuture.allOf(vms.stream().map(queue::submit).toArray(CompletableFuture[]::new))
                .thenApply(done -> last);
    }

    @Override
    public void close() {
        killSwitch.shutdown();
    }
}
