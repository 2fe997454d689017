package dev.vireo.persistence;

import dev.vireo.protocol.api.LabelSelector;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmState;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The VMs as a projection of the event log keeps them, for lists: each VM as the API shows it (rendered once,
 * when its events are taken in), its labels, and its state for the next event, by namespace and name. Kept by
 * the journal in use beside its log ({@link #get}), with the offset of the newest event taken in: entries and
 * offset change together, so a restart resumes exactly where the list was.
 */
public interface VmList {

    /** The VM list of the journal {@code system} is configured with. */
    static VmList get(ActorSystem<?> system) {
        return Journals.ID.apply(system).vmList();
    }

    /** The offset of the newest event the list has taken in; 0 before the first. */
    CompletionStage<Long> offset();

    /** The states the list holds of {@code vms}; a VM it has not taken in yet is missing. */
    CompletionStage<Map<VmId, VmState>> states(Collection<VmId> vms);

    /** Takes in {@code entries} (VMs that no longer exist too) and moves to {@code offset}: all or nothing. */
    CompletionStage<Done> update(Collection<Entry> entries, long offset);

    /**
     * Up to {@code limit} VMs that exist and {@code selector} selects, of {@code namespace} (of every namespace
     * when null), in the order of namespace and name, after {@code after} (from the first when null).
     */
    CompletionStage<List<Listed>> page(String namespace, VmId after, int limit, LabelSelector selector);

    /** A VM taken in: its state, and {@code view}, the JSON the API shows of it. */
    record Entry(VmState state, byte[] view) {
    }

    /** A VM as a list shows it. */
    record Listed(VmId vm, byte[] view) {
    }
}
