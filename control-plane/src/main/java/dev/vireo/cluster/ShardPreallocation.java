package dev.vireo.cluster;

import org.apache.pekko.actor.AbstractActorWithTimers;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.ActorSelection;
import org.apache.pekko.actor.Props;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

/**
 * Allocates every shard of an entity type as soon as the cluster is up, instead of on the first message
 * for each. The shard coordinator allocates one shard at a time, each after a write to the journal
 * (about 20 ms under load): a burst of creates on a young journal queued behind those allocations
 * (docs/benchmarks.md). Done in the background at start, it costs one allocation per shard in the life
 * of a journal; on a later start the coordinator already knows every shard and only answers.
 *
 * <p>Pekko offers no public call for this; the coordinator's own start-up sends itself the internal
 * {@code GetShardHome} for each remembered shard, and this does the same for all of them. Every use of Pekko's
 * internals is in this class: the two message classes (looked up by name, so that a Pekko that renames them
 * makes shards allocate on first use again, logged, rather than fail the start), the coordinator's actor path,
 * and the classic system actor it runs as. {@code ShardPreallocationTest} fails, naming what changed, on a
 * Pekko without them. (Touching one entity per shard would allocate them through the public API, but would
 * start, recover, remember and passivate an entity per shard on every start.)
 */
public final class ShardPreallocation extends AbstractActorWithTimers {

    static final String GET_SHARD_HOME = "org.apache.pekko.cluster.sharding.ShardCoordinator$Internal$GetShardHome";
    static final String SHARD_HOME = "org.apache.pekko.cluster.sharding.ShardCoordinator$Internal$ShardHome";
    /**
     * How long the first round of requests may take before the unanswered ones are asked again; each later round
     * waits twice as long, up to {@link #LONGEST_ROUND}. The coordinator ignores requests until every region has
     * registered, which takes a moment after start: a fixed 3 s round left a young journal's shards unallocated
     * for 5 s after start, and the quick bench's first burst, sent once the API was ready, waited on them.
     */
    private static final Duration FIRST_ROUND = Duration.ofMillis(100);
    private static final Duration LONGEST_ROUND = Duration.ofSeconds(3);
    /** After this the coordinator is taken to live on another member: shards allocate on first use there. */
    private static final Duration GIVE_UP = Duration.ofMinutes(2);

    private enum Round { NEXT }

    private final LoggingAdapter log = Logging.getLogger(getContext().getSystem(), this);
    private final String typeName;
    private final int numberOfShards;
    private final Set<String> unallocated = new HashSet<>();
    private final long started = System.nanoTime();
    private Duration round = FIRST_ROUND;
    private Constructor<?> getShardHome;
    private Class<?> shardHome;
    private Method shardOf;

    private ShardPreallocation(String typeName, int numberOfShards) {
        this.typeName = typeName;
        this.numberOfShards = numberOfShards;
        // the ids of Pekko's HashCodeMessageExtractor: abs(entityId.hashCode % n)
        for (int shard = 0; shard < numberOfShards; shard++) {
            unallocated.add(Integer.toString(shard));
        }
    }

    /** Allocates every shard of {@code typeName} in the background (a system actor that stops when done). */
    public static void start(org.apache.pekko.actor.typed.ActorSystem<?> system, String typeName, int numberOfShards) {
        ((ExtendedActorSystem) system.classicSystem()).systemActorOf(Props.create(ShardPreallocation.class,
                () -> new ShardPreallocation(typeName, numberOfShards)), "shard-preallocation");
    }

    /** Where sharding's coordinator of {@code typeName} lives (an internal path of Pekko's). */
    static String coordinatorPath(String typeName) {
        return "/system/sharding/" + typeName + "Coordinator/singleton/coordinator";
    }

    @Override
    public void preStart() {
        try {
            getShardHome = Class.forName(GET_SHARD_HOME).getConstructor(String.class);
            shardHome = Class.forName(SHARD_HOME);
            shardOf = shardHome.getMethod("shard");
        } catch (ReflectiveOperationException e) {
            log.warning("{}: shards are allocated on first use: this Pekko has no {} ({})", typeName, GET_SHARD_HOME, e);
            getContext().stop(getSelf());
            return;
        }
        askForUnallocated();
    }

    @Override
    public Receive createReceive() {
        return receiveBuilder()
                .matchEquals(Round.NEXT, r -> askForUnallocated())
                .matchAny(this::answered)
                .build();
    }

    private void askForUnallocated() {
        if (Duration.ofNanos(System.nanoTime() - started).compareTo(GIVE_UP) > 0) {
            log.info("{}: {} of {} shards not allocated after {}; they are allocated on first use", typeName,
                    unallocated.size(), numberOfShards, GIVE_UP);
            getContext().stop(getSelf());
            return;
        }
        // the coordinator ignores requests until every region has registered: unanswered ones are asked again
        getTimers().startSingleTimer(Round.NEXT, Round.NEXT, round);
        Duration twice = round.multipliedBy(2);
        round = twice.compareTo(LONGEST_ROUND) > 0 ? LONGEST_ROUND : twice;
        ActorSelection coordinator = getContext().actorSelection(coordinatorPath(typeName));
        for (String shard : unallocated) {
            try {
                coordinator.tell(getShardHome.newInstance(shard), getSelf());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot build " + GET_SHARD_HOME + " for shard " + shard, e);
            }
        }
    }

    private void answered(Object message) throws ReflectiveOperationException {
        if (!shardHome.isInstance(message)) {
            unhandled(message);
            return;
        }
        unallocated.remove((String) shardOf.invoke(message));
        if (unallocated.isEmpty()) {
            log.info("{}: all {} shards allocated, {} ms after start", typeName, numberOfShards,
                    Duration.ofNanos(System.nanoTime() - started).toMillis());
            getContext().stop(getSelf());
        }
    }
}
