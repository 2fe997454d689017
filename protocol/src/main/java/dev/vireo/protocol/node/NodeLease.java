package dev.vireo.protocol.node;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.vireo.protocol.CborSerializable;
import dev.vireo.protocol.vm.VmId;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A node's lease on running its VMs, kept by the control plane. The node renews it about every second;
 * from each {@link Granted} it computes its own expiry as <em>the moment it sent the renewal</em> plus
 * {@code ttlMillis}, so that its view always ends before the control plane's (which counts from the
 * moment it received the renewal). A node whose lease has expired fences itself: it pauses its domains, by
 * a watchdog process that does not need the node's JVM. The control plane declares a node lost only once
 * its lease has surely expired and the watchdog had time to act.
 *
 * <p>After it was fenced, or when it starts, a node asks which of the domains it holds are still its own
 * ({@link Reconcile}); it destroys the others before it does anything else.
 */
public final class NodeLease {

    private NodeLease() {
    }

    /** Renew the lease of {@code node} for the registered {@code session}. */
    public record Renew(String node, String session, ActorRef<Answer> replyTo) implements FromNode {
    }

    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
    @JsonSubTypes({
            @JsonSubTypes.Type(value = Granted.class, name = "Granted"),
            @JsonSubTypes.Type(value = Revoked.class, name = "Revoked")
    })
    public sealed interface Answer extends CborSerializable {
    }

    /** Renewed for {@code ttlMillis} from the moment the node sent the renewal. */
    public record Granted(String node, long ttlMillis) implements Answer {
    }

    /**
     * No lease for this session: it is not the registered one (register first), or the node was declared
     * lost ({@code lost}: everything it ran is no longer its own).
     */
    public record Revoked(String node, boolean lost, String reason) implements Answer {
    }

    /** A domain as the node holds it. */
    public record Held(VmId vm, long incarnation) implements CborSerializable {
    }

    /** Which of {@code held} does {@code node} still own? Asked by the node runtime of {@code session}. */
    public record Reconcile(String node, String session, List<Held> held, ActorRef<Ownership> replyTo)
            implements FromNode {
    }

    /**
     * The answer to {@link Reconcile}: {@code owned} are the node's to keep (and resume, if fenced),
     * {@code notOwned} must go; about {@code unknown} the control plane could not learn in time (they stay as
     * they are). {@code voidBefore}: the node was declared lost since it last asked, and the commands delivered
     * to it numbered below this ({@link NodeDelivery#sequence}) are void; 0 when it was not. {@code refused}
     * (with {@code reason}): this session holds no lease, nothing was decided.
     */
    public record Ownership(List<Held> owned, List<Held> notOwned, List<Held> unknown, long voidBefore,
                            boolean refused, String reason) implements CborSerializable {

        public static Ownership refused(String reason) {
            return new Ownership(List.of(), List.of(), List.of(), 0, true, reason);
        }
    }
}
