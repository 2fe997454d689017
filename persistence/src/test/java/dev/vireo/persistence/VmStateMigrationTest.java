package dev.vireo.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.protocol.vm.RunStrategy;
import dev.vireo.protocol.vm.Stage;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmState;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots of today's state go through the journal's serializer as version 2 and come back unchanged in
 * every stage. (That version 1 snapshots load is proven on a real old journal: JournalFixtureTest.)
 */
class VmStateMigrationTest {

    @TempDir
    static Path dataDir;
    static ActorTestKit kit;

    @BeforeAll
    static void start() {
        kit = ActorTestKit.create("migration", JournalConfig.forDataDir(dataDir));
    }

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    @Test
    void aSnapshotOfEveryStageIsWrittenAsVersionTwoAndReadBackUnchanged() throws Exception {
        var serialization = SerializationExtension.get(kit.system().classicSystem());
        Instant t = Instant.parse("2026-03-01T10:00:00Z");
        VmId id = new VmId("default", "web-1");
        VirtualMachineSpec spec = new VirtualMachineSpec(RunStrategy.Always, new VirtualMachineSpec.Cpu(2), "1Gi", null,
                null, null, null, null).withDefaults();
        List<Stage> stages = List.of(new Stage.Stopped(), new Stage.Scheduling(), new Stage.ErrorUnschedulable(),
                new Stage.Starting("n1"), new Stage.Running("n1", t), new Stage.Paused("n1", t),
                new Stage.Unknown("n1", null), new Stage.Stopping("n1"), new Stage.Restarting("n1"),
                new Stage.Terminating("n1"), new Stage.CrashLoopBackOff(t.plusSeconds(40)), new Stage.Failed());
        for (Stage stage : stages) {
            VmState state = new VmState(id, 3, new VmState.Vm(new VmState.Definition("uid-1", Map.of("app", "web"), spec,
                    2, t), stage, 1, "why not"), t, 17);
            byte[] bytes = serialization.serialize(state).get();
            var serializer = serialization.findSerializerFor(state);
            String manifest = Serializers.manifestFor(serializer, state);
            assertTrue(manifest.endsWith("#2"), manifest);
            assertEquals(state, serialization.deserialize(bytes, serializer.identifier(), manifest).get(), stage.toString());
        }
        VmState absent = new VmState(id, 4, null, t, 20);
        var serializer = serialization.findSerializerFor(absent);
        assertEquals(absent, serialization.deserialize(serialization.serialize(absent).get(), serializer.identifier(),
                Serializers.manifestFor(serializer, absent)).get());
    }
}
