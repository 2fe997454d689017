package dev.vireo.vm;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.vireo.persistence.EventLog;
import dev.vireo.persistence.StoredEvent;
import dev.vireo.persistence.VmList;
import dev.vireo.protocol.api.Json;
import dev.vireo.protocol.api.VirtualMachineViews;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
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
 * Keeps the {@link VmList} up to date with the event log: the events of each batch are applied to the states
 * the list holds, the VMs they touched are rendered as the API shows them, and entries and offset are written
 * together. A failure (database hiccup) restarts it with back-off from the offset the list holds, so no event
 * is taken in twice or skipped. Tells {@link VmListFreshness} how far it has got.
 */
public final class VmListProjection implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(VmListProjection.class);
    /** Events taken in at once: one transaction, and one read of the states they touch. */
    private static final int BATCH = 512;

    private final EventLog eventLog;
    private final VmList vmList;
    private final VmListFreshness freshness;
    private final UniqueKillSwitch killSwitch;

    private VmListProjection(ActorSystem<?> system, VmListFreshness freshness) {
        this.eventLog = EventLog.get(system);
        this.vmList = VmList.get(system);
        this.freshness = freshness;
        RestartSettings restart = RestartSettings.create(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2);
        this.killSwitch = RestartSource.withBackoff(restart, () -> Source.completionStage(vmList.offset())
                        .flatMapConcat(from -> {
                            log.info("the VM list resumes after offset {}", from);
                            freshness.reached(from);
                            return eventLog.stream(from);
                        })
                        .groupedWithin(BATCH, Duration.ofMillis(5))
                        .mapAsync(1, this::takeIn))
                .viaMat(KillSwitches.single(), Keep.right())
                .toMat(Sink.ignore(), Keep.left())
                .run(system);
    }

    public static VmListProjection start(ActorSystem<?> system, VmListFreshness freshness) {
        return new VmListProjection(system, freshness);
    }

    private CompletionStage<Long> takeIn(List<StoredEvent> batch) {
        Set<VmId> touched = new LinkedHashSet<>();
        batch.forEach(e -> touched.add(e.vm()));
        long last = batch.get(batch.size() - 1).offset();
        return vmList.states(touched).thenCompose(held -> {
            Map<VmId, VmState> states = new HashMap<>(held);
            List<VmId> behind = new ArrayList<>();
            for (StoredEvent e : batch) {
                VmState state = states.getOrDefault(e.vm(), VmState.empty(e.vm()));
                if (e.sequenceNr() <= state.version()) {
                    continue; // taken in already
                }
                if (e.sequenceNr() != state.version() + 1 && !behind.contains(e.vm())) {
                    behind.add(e.vm());
                }
                states.put(e.vm(), state.apply(e.event()));
            }
            return rebuild(behind, last, states).thenCompose(ignored -> {
                List<VmList.Entry> entries = touched.stream().map(vm -> entry(states.get(vm))).toList();
                return vmList.update(entries, last);
            });
        }).thenApply(done -> {
            freshness.reached(last);
            return last;
        });
    }

    /**
     * VMs whose events the list missed (it should not happen: the stream has no gaps) are read again from their
     * whole log, up to the batch's last offset.
     */
    private CompletionStage<Void> rebuild(List<VmId> vms, long upTo, Map<VmId, VmState> states) {
        CompletionStage<Void> done = CompletableFuture.completedFuture(null);
        for (VmId vm : vms) {
            log.warn("the VM list missed events of {}; reading its whole log again", vm);
            done = done.thenCompose(ignored -> eventLog.history(vm).thenAccept(history -> {
                VmState state = VmState.empty(vm);
                for (StoredEvent e : history) {
                    if (e.offset() <= upTo) {
                        state = state.apply(e.event());
                    }
                }
                states.put(vm, state);
            }));
        }
        return done;
    }

    private static VmList.Entry entry(VmState state) {
        try {
            byte[] view = state.exists() ? Json.mapper().writeValueAsBytes(VirtualMachineViews.of(state)) : new byte[0];
            return new VmList.Entry(state, view);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render " + state.id() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        killSwitch.shutdown();
    }
}
