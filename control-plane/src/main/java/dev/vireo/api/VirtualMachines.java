package dev.vireo.api;

import dev.vireo.persistence.EventLog;
import dev.vireo.persistence.VmList;
import dev.vireo.protocol.api.LabelSelector;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmState;
import dev.vireo.vm.VirtualMachineEntity;
import dev.vireo.vm.VmListFreshness;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * The HTTP layer's way to the VMs: commands and reads of one VM go to its entity; lists come from the
 * {@link VmList}, never from the entities, once it has taken in every event acknowledged before the list was
 * asked for (read-your-writes).
 */
final class VirtualMachines {

    private final ClusterSharding sharding;
    private final EventLog eventLog;
    private final VmList vmList;
    private final VmListFreshness freshness;
    private final Duration timeout;

    VirtualMachines(ActorSystem<?> system, ClusterSharding sharding, VmListFreshness freshness, Duration timeout) {
        this.sharding = sharding;
        this.eventLog = EventLog.get(system);
        this.vmList = VmList.get(system);
        this.freshness = freshness;
        this.timeout = timeout;
    }

    CompletionStage<VirtualMachineEntity.Reply> execute(VmId id, VmCommand command) {
        return sharding.entityRefFor(VirtualMachineEntity.TYPE_KEY, id.entityId())
                .ask(replyTo -> new VirtualMachineEntity.Execute(command, replyTo), timeout);
    }

    CompletionStage<VmState> get(VmId id) {
        return sharding.entityRefFor(VirtualMachineEntity.TYPE_KEY, id.entityId())
                .<VirtualMachineEntity.Reply>ask(VirtualMachineEntity.GetState::new, timeout)
                .thenApply(reply -> ((VirtualMachineEntity.Accepted) reply).state());
    }

    /**
     * One page of a list: the VMs as the API shows them (JSON), the last one's id when more follow, and the
     * offset of the event log the list has taken in (at least every event acknowledged before the request).
     */
    record Page(List<byte[]> views, VmId continueAfter, long resourceVersion) {
    }

    /**
     * Up to {@code limit} VMs (all when 0) that {@code selector} selects, of {@code namespace} (of all namespaces
     * when null; of those in {@code onlyNamespaces} when that is not null), by namespace and name, after
     * {@code after} (from the first when null).
     */
    CompletionStage<Page> list(String namespace, Set<String> onlyNamespaces, LabelSelector selector, int limit,
                               VmId after) {
        int wanted = limit == 0 ? Integer.MAX_VALUE : limit + 1;
        return eventLog.newestOffset()
                .thenCompose(newest -> freshness.caughtUpTo(newest, timeout))
                .thenCompose(offset -> vmList.page(namespace, after, onlyNamespaces == null ? wanted : Integer.MAX_VALUE,
                                selector)
                        .thenApply(all -> onlyNamespaces == null ? all : all.stream()
                                .filter(row -> onlyNamespaces.contains(row.vm().namespace())).limit(wanted).toList())
                        .thenApply(rows -> rows.size() > limit && limit > 0
                                // one more than asked for: there is a next page, it starts after the last one shown
                                ? new Page(views(rows.subList(0, limit)), rows.get(limit - 1).vm(), offset)
                                : new Page(views(rows), null, offset)));
    }

    private static List<byte[]> views(List<VmList.Listed> rows) {
        return rows.stream().map(VmList.Listed::view).toList();
    }
}
