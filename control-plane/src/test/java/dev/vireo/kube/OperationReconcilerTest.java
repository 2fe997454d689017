package dev.vireo.kube;

import static dev.vireo.kube.VireoWithKubernetes.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.api.MigrationRoutes;
import dev.vireo.protocol.api.ManifestParser;
import dev.vireo.protocol.api.ManifestValidator;
import dev.vireo.protocol.vm.EventMeta;
import dev.vireo.protocol.vm.MigrationPolicy;
import dev.vireo.protocol.vm.Rejection;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmEvent;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmState;
import dev.vireo.vm.VirtualMachineEntity;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The operation resources' reconcile against the CRUD mock API server, with a VM gateway that stands for the entity
 * (its history and replies are the test's): what is started, what is only mirrored, what a delete asks.
 */
class OperationReconcilerTest {

    static final VmId WEB = new VmId("default", "web");
    static final Duration PATIENCE = Duration.ofSeconds(10);

    KubernetesApiMock kube;
    final List<SharedIndexInformer<GenericKubernetesResource>> informers = new ArrayList<>();
    final MigrationResource migrations = new MigrationResource(MigrationPolicy.DEFAULT);
    final SnapshotResource snapshots = new SnapshotResource();
    final Entity entity = new Entity();
    OperationReconciler reconciler;

    /** The VM as the test has it: a history, and the replies it gives to commands. */
    static final class Entity implements VirtualMachineGateway {
        final List<VmEvent> history = new ArrayList<>();
        final List<VmCommand> executed = new ArrayList<>();
        final Queue<VirtualMachineEntity.Reply> replies = new ConcurrentLinkedQueue<>();
        final VmState state;

        Entity() {
            VirtualMachineSpec spec = ManifestValidator.validate(ManifestParser.read(
                    "{\"runStrategy\": \"Always\", \"memory\": \"64Mi\"}".getBytes(StandardCharsets.UTF_8),
                    "application/json", VirtualMachineSpec.class));
            state = VmState.empty(WEB).apply(new VmEvent.VmCreated(meta("create"), "vm-uid", Map.of(), spec));
        }

        @Override
        public VmState get(VmId id) {
            return state;
        }

        @Override
        public VirtualMachineEntity.Reply execute(VmId id, VmCommand command) {
            executed.add(command);
            VirtualMachineEntity.Reply reply = replies.poll();
            if (reply instanceof VirtualMachineEntity.Refused) {
                return reply;
            }
            // what the entity records when it takes the command
            if (command instanceof VmCommand.Migrate m) {
                history.add(new VmEvent.MigrationRequested(meta(m.requestId()), m.migrationId(), "n1", m.targetNode(),
                        m.policy()));
            } else if (command instanceof VmCommand.TakeSnapshot t) {
                history.add(new VmEvent.SnapshotRequested(meta(t.requestId()), t.snapshot(), t.memory(), true, "n1"));
            }
            return new VirtualMachineEntity.Accepted(state);
        }

        @Override
        public List<VmEvent> history(VmId id) {
            return List.copyOf(history);
        }

        @Override
        public Rejection whyNotMigrate(VmId id, VmState state, MigrationRoutes.Request request) {
            return null;
        }
    }

    static EventMeta meta(String requestId) {
        return new EventMeta(Instant.parse("2026-12-01T12:00:00Z"), requestId, "kubernetes:kubectl");
    }

    @BeforeEach
    void start() throws Exception {
        kube = new KubernetesApiMock().withVireoCrds();
        Map<OperationResource, SharedIndexInformer<GenericKubernetesResource>> byKind = new LinkedHashMap<>();
        for (OperationResource kind : List.of(migrations, snapshots)) {
            SharedIndexInformer<GenericKubernetesResource> i = kube.client().genericKubernetesResources(kind.context)
                    .inAnyNamespace().runnableInformer(0);
            i.addIndexers(Map.of(OperationReconciler.BY_VM, OperationReconciler::vmKeys));
            i.start().toCompletableFuture().get(10, TimeUnit.SECONDS);
            byKind.put(kind, i);
            informers.add(i);
        }
        reconciler = new OperationReconciler(kube.client(), byKind, entity, Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        informers.forEach(SharedIndexInformer::close);
        kube.close();
    }

    Resource<GenericKubernetesResource> cr(OperationResource kind, String name) {
        return kube.client().genericKubernetesResources(kind.context).inNamespace("default").withName(name);
    }

    /** Creates it and waits until the informer has it, as the sync would. */
    String create(OperationResource kind, String name, String spec) {
        GenericKubernetesResource cr = kube.client().getKubernetesSerialization().unmarshal("""
                apiVersion: vireo.dev/v1
                kind: %s
                metadata: {name: %s, namespace: default}
                spec: %s
                """.formatted(kind.kind(), name, spec), GenericKubernetesResource.class);
        String uid = kube.client().genericKubernetesResources(kind.context).inNamespace("default").resource(cr).create()
                .getMetadata().getUid();
        int index = kind == migrations ? 0 : 1;
        eventually(name + " in the informer", PATIENCE, () -> informers.get(index).getIndexer()
                .byIndex(OperationReconciler.BY_VM, WEB.entityId()).stream()
                .anyMatch(c -> c.getMetadata().getName().equals(name)), Boolean::booleanValue);
        return uid;
    }

    /** Deletes it and waits until the informer has seen the delete, as the sync would. */
    void delete(OperationResource kind, String name) {
        cr(kind, name).delete();
        int index = kind == migrations ? 0 : 1;
        eventually(name + " deleting in the informer", PATIENCE, () -> informers.get(index).getIndexer()
                .byIndex(OperationReconciler.BY_VM, WEB.entityId()).stream()
                .filter(c -> c.getMetadata().getName().equals(name))
                .allMatch(c -> c.getMetadata().getDeletionTimestamp() != null), Boolean::booleanValue);
    }

    Map<String, Object> status(OperationResource kind, String name) {
        return VirtualMachineResource.status(cr(kind, name).get());
    }

    @Test
    void aNewMigrationResourceIsStartedOnceUnderItsUid() {
        String uid = create(migrations, "m1", "{vmName: web, targetNode: n2, maxDowntimeMs: 200}");
        reconciler.reconcile(WEB);
        reconciler.reconcile(WEB);
        reconciler.reconcile(WEB);
        assertEquals(1, entity.executed.size(), entity.executed.toString());
        VmCommand.Migrate migrate = (VmCommand.Migrate) entity.executed.get(0);
        assertEquals("kube-" + uid, migrate.requestId());
        assertEquals("mig-" + uid, migrate.migrationId());
        assertEquals("n2", migrate.targetNode());
        assertEquals(200, migrate.policy().maxDowntimeMs());
        assertEquals("kubernetes:kubectl", migrate.principal());
        assertEquals("Pending", status(migrations, "m1").get("phase"));
        assertEquals("mig-" + uid, status(migrations, "m1").get("migrationId"));
        assertTrue(cr(migrations, "m1").get().getMetadata().getFinalizers().contains(MigrationResource.FINALIZER));
    }

    /** The window of a crash: the entity took the command, the status was never written. */
    @Test
    void aMigrationTheHistoryAlreadyHoldsIsMirroredNotStartedAgain() {
        String uid = create(migrations, "m2", "{vmName: web}");
        entity.history.add(new VmEvent.MigrationRequested(meta("kube-" + uid), "mig-" + uid, "n1", null,
                MigrationPolicy.DEFAULT));
        entity.history.add(new VmEvent.MigrationTargetChosen(meta("kube-" + uid), "mig-" + uid, "n3", 4));
        reconciler.reconcile(WEB);
        assertEquals(List.of(), entity.executed);
        Map<String, Object> status = status(migrations, "m2");
        assertEquals("Scheduled", status.get("phase"));
        assertEquals("n1", status.get("sourceNode"));
        assertEquals("n3", status.get("targetNode"));
    }

    @Test
    void aRefusalIsFailedWithTheReasonAndNotTriedAgain() {
        create(migrations, "m3", "{vmName: web}");
        entity.replies.add(new VirtualMachineEntity.Refused(Rejection.illegal("it is Stopped; only a Running VM can be"
                + " live-migrated")));
        reconciler.reconcile(WEB);
        reconciler.reconcile(WEB);
        assertEquals(1, entity.executed.size());
        assertEquals("Failed", status(migrations, "m3").get("phase"));
        assertTrue(((String) status(migrations, "m3").get("message")).contains("only a Running VM"));
    }

    @Test
    void deletingAMigrationUnderWayCancelsItAndOneThatEndedNot() {
        String uid = create(migrations, "m4", "{vmName: web}");
        reconciler.reconcile(WEB);
        delete(migrations, "m4");
        reconciler.reconcile(WEB);
        assertEquals(List.of("Migrate", "CancelMigration"), entity.executed.stream()
                .map(c -> c.getClass().getSimpleName()).toList());
        assertEquals("kube-" + uid + "-cancel", entity.executed.get(1).requestId());
        assertNull(cr(migrations, "m4").get(), "the finalizer is released once the cancel is sent");

        String ended = create(migrations, "m5", "{vmName: web}");
        reconciler.reconcile(WEB);
        entity.history.add(new VmEvent.MigrationFailed(meta("kube-" + ended), "mig-" + ended, "no target"));
        reconciler.reconcile(WEB);
        assertEquals("Failed", status(migrations, "m5").get("phase"));
        delete(migrations, "m5");
        reconciler.reconcile(WEB);
        assertEquals(3, entity.executed.size(), "nothing to cancel: " + entity.executed);
        assertNull(cr(migrations, "m5").get());
    }

    @Test
    void deletingASnapshotStillBeingTakenWaitsUntilItCanDeleteIt() {
        String uid = create(snapshots, "s1", "{vmName: web, memory: true}");
        reconciler.reconcile(WEB);
        reconciler.reconcile(WEB);
        assertEquals("InProgress", status(snapshots, "s1").get("phase"));
        delete(snapshots, "s1");
        entity.replies.add(new VirtualMachineEntity.Refused(Rejection.illegal("it is being taken; wait")));
        reconciler.reconcile(WEB);
        assertNotNull(cr(snapshots, "s1").get(), "held by its finalizer while the snapshot is taken");
        entity.history.add(new VmEvent.SnapshotCompleted(meta("kube-" + uid), "s1", 1024, 12, 30));
        reconciler.reconcile(WEB);
        assertNull(cr(snapshots, "s1").get());
        assertEquals(List.of("TakeSnapshot", "DeleteSnapshot", "DeleteSnapshot"), entity.executed.stream()
                .map(c -> c.getClass().getSimpleName()).toList());
        assertEquals("kube-" + uid + "-delete", entity.executed.get(2).requestId());
    }
}
