package dev.vireo.protocol.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.vireo.protocol.node.DomainState;
import dev.vireo.protocol.node.NodeAction;
import dev.vireo.protocol.node.NodeReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Thousands of random lives of a VM: user commands mixed with what a simulated scheduler and nodes answer,
 * in random order, plus crashes, lost nodes, stale reports, timers and entity restarts. After every step
 * the log survives a CBOR round trip, replaying it gives the live state, and the invariants hold.
 * Replay one sequence with {@code -Dvireo.sequence=SEED}.
 */
class GeneratedSequenceTest {

    private static final int SEQUENCES = Integer.getInteger("vireo.sequences", 2000);
    private static final int MAX_STEPS = Integer.getInteger("vireo.steps", 60);
    private static final long MASTER_SEED = Long.getLong("vireo.seed", 0x5EED_0F_B1D5L);

    /** Configured like Pekko's jackson-cbor serializer. */
    static final CBORMapper CBOR = CBORMapper.builder()
            .addModule(new JavaTimeModule())
            .addModule(new Jdk8Module())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .build();

    @Test
    void randomLifeCyclesKeepTheInvariants() {
        String one = System.getProperty("vireo.sequence");
        if (one != null) {
            run(Long.parseLong(one));
            return;
        }
        Random master = new Random(MASTER_SEED);
        for (int i = 0; i < SEQUENCES; i++) {
            run(master.nextLong());
        }
        // the generator is worth something only if it reaches every phase and event of the life cycle
        Set<Phase> unreached = EnumSet.complementOf(PHASES_SEEN);
        assertEquals(EnumSet.of(Phase.Snapshotting, Phase.Restoring), unreached);
        assertEquals(VmLifecycle.stages(VmEvent.class).size(), EVENTS_SEEN.size(), EVENTS_SEEN::toString);
    }

    private static final EnumSet<Phase> PHASES_SEEN = EnumSet.noneOf(Phase.class);
    private static final Set<Class<?>> EVENTS_SEEN = new HashSet<>();

    private static void run(long seed) {
        Life life = new Life(seed);
        try {
            int steps = 1 + life.random.nextInt(MAX_STEPS);
            for (int i = 0; i < steps; i++) {
                life.step();
                life.neverTwoRunningDomains();
            }
            life.settle();
        } catch (Throwable t) {
            throw new AssertionError("sequence " + seed + " failed (replay with -Dvireo.sequence=" + seed + "):\n  "
                    + String.join("\n  ", life.trace) + "\nstate: " + life.state + "\nworld: domains="
                    + life.world.runningDomains() + " reservations=" + life.world.reservations, t);
        }
    }

    /** One VM and its world. */
    private static final class Life {
        final Random random;
        final SimulatedWorld world;
        final VmDecider decider = new VmDecider(VmPolicy.DEFAULT);
        final List<VmEvent> log = new ArrayList<>();
        final List<String> trace = new ArrayList<>();
        VmState state = VmState.empty(VmFixture.ID);
        Instant now = Instant.parse("2025-01-01T00:00:00Z");
        int requests;

        final Random snapshotDice;

        Life(long seed) {
            random = new Random(seed);
            snapshotDice = new Random(~seed);
            world = new SimulatedWorld(random, VmFixture.ID);
        }

        void step() {
            // snapshots draw from a random of their own: the lives of the other commands stay as they were
            if (snapshotDice.nextInt(5) == 0) {
                user(snapshotCommand(snapshotDice.nextBoolean() ? "alice" : "bob"));
            }
            now = now.plusMillis(random.nextInt(90_000));
            int dice = random.nextInt(100);
            if (dice < 40) {
                user(userCommand());
            } else if (dice < 50) {
                world.advanceMigration();
            } else if (dice < 65) {
                VmCommand m = world.takeMessage();
                if (m != null) {
                    system(m);
                }
            } else if (dice < 73) {
                world.schedule();
            } else if (dice < 80) {
                world.domainEvent();
            } else if (dice < 83) {
                String node = world.loseNode();
                if (node != null) {
                    trace.add("world: " + node + " lost");
                }
            } else if (dice < 85) {
                world.rejoinNode();
            } else if (dice < 86) {
                String node = world.hypervisorBlip();
                if (node != null) {
                    trace.add("world: " + node + "'s hypervisor did not answer for a while");
                }
            } else if (dice < 90) {
                fireTimer();
            } else if (dice < 96) {
                staleReport();
            } else {
                recover();
            }
        }

        /** Quiet world: every message delivered, every request placed, every timer fired. */
        void settle() {
            world.failureRate = 0;
            SimulatedWorld.NODES.forEach(n -> world.liveNodes.add(n));
            recover();
            for (int i = 0; i < 500; i++) {
                VmCommand m = world.takeMessage();
                if (m != null) {
                    system(m);
                } else if (world.advanceMigration()) {
                    continue;
                } else if (!world.pending.isEmpty()) {
                    world.schedule();
                } else if (!world.timers.isEmpty()) {
                    fireTimer();
                } else {
                    checkSettled();
                    return;
                }
            }
            throw new AssertionError("the world never settled");
        }

        private void checkSettled() {
            String placement = state.node() + "#" + state.incarnation();
            List<String> domains = world.runningDomains();
            assertTrue(domains.isEmpty() || domains.equals(List.of(placement)), "orphan domains " + domains);
            if (state.node() != null) {
                assertEquals(Map.of(state.incarnation(), state.node()), world.reservations, "reservations");
            } else {
                assertEquals(Map.of(), world.reservations, "leaked reservations");
            }
            assertEquals(Map.of(), world.targets, "leaked migration targets");
            if (false) {
            }
            if (state.exists() && state.runStrategy() == RunStrategy.Always) {
                assertTrue(state.phase() == Phase.Running || state.phase() == Phase.Paused,
                        "an Always VM runs once the world is quiet, but it is " + state.phase());
                assertEquals(List.of(placement), domains);
            }
        }

        /**
         * After every step, not only after a decision: the world's answers to a recovery or a timer start
         * domains too. At no instant may two domains of the VM run, on one node or on two.
         */
        void neverTwoRunningDomains() {
            assertTrue(world.runningDomains().size() <= 1, "two domains of the VM at once: " + world.runningDomains());
        }

        String rid() {
            return "req-" + (++requests);
        }

        VmCommand userCommand() {
            String user = random.nextBoolean() ? "alice" : "bob";
            if (random.nextInt(4) == 0) {
                return migrationCommand(user);
            }

            return switch (random.nextInt(10)) {
                case 0 -> new VmCommand.Create(rid(), user, "uid-" + requests, Map.of("app", "web"),
                        VmFixture.spec(strategy()));
                case 1, 2 -> update(user);
                case 3 -> new VmCommand.Start(rid(), user);
                case 4 -> new VmCommand.Stop(rid(), user, random.nextInt(4) == 0);
                case 5 -> new VmCommand.Restart(rid(), user);
                case 6 -> new VmCommand.Pause(rid(), user);
                case 7 -> new VmCommand.Unpause(rid(), user);
                case 8 -> new VmCommand.Delete(rid(), user);
                default -> state.exists() ? new VmCommand.Start(rid(), user)
                        : new VmCommand.Create(rid(), user, "uid-" + requests, Map.of(), VmFixture.spec(strategy()));
            };
        }

        /** Migrate (to a node of the user's choice, or the scheduler's), or cancel the migration in flight. */
        VmCommand migrationCommand(String user) {
            Migration m = state.migration();
            if (m != null && random.nextBoolean()) {
                return new VmCommand.CancelMigration(rid(), user, random.nextInt(5) == 0 ? "other" : m.id());
            }
            String target = random.nextBoolean() ? null
                    : SimulatedWorld.NODES.get(random.nextInt(SimulatedWorld.NODES.size()));
            return new VmCommand.Migrate(rid(), user, m != null && random.nextBoolean() ? m.id() : "mig-" + requests,
                    target, MigrationPolicy.DEFAULT);
        }

        /** Snapshot (a name that may exist), restore or delete one (that may not). */
        VmCommand snapshotCommand(String user) {
            String name = "s" + snapshotDice.nextInt(12);
            List<Snapshot> existing = state.snapshots().items();
            String known = existing.isEmpty() || snapshotDice.nextInt(4) == 0 ? name
                    : existing.get(snapshotDice.nextInt(existing.size())).name();
            return switch (snapshotDice.nextInt(4)) {
                case 0 -> new VmCommand.RestoreSnapshot(rid(), user, known);
                case 1 -> new VmCommand.DeleteSnapshot(rid(), user, known);
                default -> new VmCommand.TakeSnapshot(rid(), user, name, snapshotDice.nextBoolean());
            };
        }

        RunStrategy strategy() {
            return RunStrategy.values()[random.nextInt(RunStrategy.values().length)];
        }

        VmCommand update(String user) {
            VirtualMachineSpec base = state.spec() == null ? VmFixture.spec(RunStrategy.Manual) : state.spec();
            VirtualMachineSpec spec = base.withRunStrategy(random.nextBoolean() ? strategy() : base.runStrategy());
            if (random.nextInt(3) == 0) {
                spec = new VirtualMachineSpec(spec.runStrategy(), new VirtualMachineSpec.Cpu(1 + random.nextInt(3)),
                        spec.memory(), spec.boot(), spec.disks(), spec.nodeSelector(), spec.evictionStrategy(),
                        spec.terminationGracePeriodSeconds());
            }
            String version = switch (random.nextInt(6)) {
                case 0 -> Long.toString(random.nextInt((int) state.version() + 1));
                case 1 -> null;
                default -> state.resourceVersion();
            };
            return new VmCommand.UpdateSpec(rid(), user, state.labels(), spec, version);
        }

        void fireTimer() {
            Instant at = world.takeTimer();
            if (at != null) {
                now = now.isBefore(at) ? at : now;
                system(new VmCommand.BackoffExpired(rid(), at));
            }
        }

        /** A report that is not about the current placement: an old incarnation, or another node. */
        void staleReport() {
            String node = SimulatedWorld.NODES.get(random.nextInt(SimulatedWorld.NODES.size()));
            long incarnation = random.nextInt((int) state.incarnation() + 1);
            if (node.equals(state.node()) && incarnation == state.incarnation()) {
                incarnation--;
            }
            VmId vm = VmFixture.ID;
            NodeReport r = switch (random.nextInt(8)) {
                case 0 -> new NodeReport.DomainStarted(vm, node, incarnation);
                case 1 -> new NodeReport.DomainStopped(vm, node, incarnation, "Shutdown");
                case 2 -> new NodeReport.DomainCrashed(vm, node, incarnation, "old");
                case 3 -> new NodeReport.DomainPaused(vm, node, incarnation);
                case 4 -> new NodeReport.DomainResumed(vm, node, incarnation);
                case 5 -> new NodeReport.DomainFound(vm, node, incarnation, "old", random.nextBoolean()
                        ? DomainState.Running : DomainState.Stopped);
                case 6 -> new NodeReport.DomainMissing(vm, node, incarnation);
                default -> new NodeReport.ActionFailed(vm, node, incarnation, NodeAction.StartDomain, "old");
            };
            List<VmEvent> events = system(new VmCommand.ReportFromNode(rid(), r));
            assertEquals(1, events.size(), "a stale report is recorded once");
            assertInstanceOf(VmEvent.StaleReportIgnored.class, events.get(0));
        }

        /** The entity restarts: its state comes back from the (deserialized) log, and it resumes its work. */
        void recover() {
            VmState recovered = replay();
            assertEquals(state, recovered);
            trace.add("recover in " + recovered.phase());
            world.carryOut(decider.onRecovery(recovered, rid()));
        }

        void user(VmCommand c) {
            decide(c, true);
        }

        List<VmEvent> system(VmCommand c) {
            return decide(c, false);
        }

        List<VmEvent> decide(VmCommand command, boolean mayBeRejected) {
            VmState before = state;
            Decision d = decider.decide(state, command, now);
            if (d instanceof Decision.Rejected r) {
                trace.add(before.phase() + " " + command + " -> rejected " + r.rejection().code());
                assertTrue(mayBeRejected, "the system's input was rejected: " + r.rejection());
                assertFalse(r.rejection().message().isBlank());
                return List.of();
            }
            List<VmEvent> events = ((Decision.Accepted) d).events();
            trace.add(before.phase() + " " + command + " -> " + events.stream().map(e -> e.getClass().getSimpleName())
                    .toList());
            List<VmEffect> effects = ((Decision.Accepted) d).effects();
            for (VmEvent e : events) {
                EVENTS_SEEN.add(e.getClass());
                state = state.apply(e);
                PHASES_SEEN.add(state.phase());
                log.add(roundTrip(e));
            }
            world.carryOut(effects);
            check(before, events);
            return events;
        }

        private static <T> T roundTrip(T value, Class<T> type) {
            try {
                return CBOR.readValue(CBOR.writeValueAsBytes(value), type);
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }

        private static VmEvent roundTrip(VmEvent e) {
            try {
                VmEvent back = CBOR.readValue(CBOR.writeValueAsBytes(e), VmEvent.class);
                assertEquals(e, back, "CBOR round trip");
                return back;
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }

        VmState replay() {
            VmState s = VmState.empty(VmFixture.ID);
            for (VmEvent e : log) {
                s = s.apply(e);
            }
            return s;
        }

        private void check(VmState before, List<VmEvent> events) {
            assertEquals(state, replay(), "replaying the persisted log gives the live state");
            assertEquals(log.size(), state.version(), "version counts the events");
            assertTrue(state.incarnation() >= before.incarnation(), "incarnation never decreases");
            for (VmEvent e : events) {
                assertNotNull(e.meta());
                assertNotNull(e.meta().principal());
                assertNotNull(e.meta().requestId());
                assertNotNull(e.meta().timestamp());
            }
            assertEquals(state, roundTrip(state, VmState.class), "a snapshot of the state survives a CBOR round trip");
            assertTrue(state.exists() || state.node() == null);
            assertTrue(world.runningDomains().size() <= 1, "two domains of the VM at once: "
                    + world.runningDomains());
            assertTrue(world.reservations.size() <= 1, "two placements at once: " + world.reservations);
            // one at most; one the VM has not heard of yet is given back when the scheduler's answer arrives
            assertTrue(world.targets.size() <= 1, "migration targets reserved: " + world.targets);
        }
    }
}
