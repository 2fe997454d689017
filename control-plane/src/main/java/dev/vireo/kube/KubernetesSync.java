package dev.vireo.kube;

import com.typesafe.config.Config;
import dev.vireo.api.ImagePaths;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.vireo.protocol.api.InvalidManifestException;
import dev.vireo.protocol.api.ManifestValidator;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.scheduler.Scheduler;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two-way sync between VirtualMachine CRs and the VM entities: an informer turns CR changes into
 * reconciles, the status projection turns entity events into reconciles, and {@link VirtualMachineReconciler}
 * does the work on one thread. Started when {@code vireo.kubernetes.kubeconfig} is set or
 * {@code vireo.kubernetes.in-cluster} is on; runs as a cluster singleton and stops with it.
 */
public final class KubernetesSync implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KubernetesSync.class);

    private final KubernetesClient client;
    private final ReconcileQueue queue;
    private final SharedIndexInformer<GenericKubernetesResource> informer;
    private final List<SharedIndexInformer<GenericKubernetesResource>> operationInformers;
    private final StatusProjection projection;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private KubernetesSync(KubernetesClient client, ReconcileQueue queue,
                           SharedIndexInformer<GenericKubernetesResource> informer,
                           List<SharedIndexInformer<GenericKubernetesResource>> operationInformers,
                           StatusProjection projection) {
        this.client = client;
        this.queue = queue;
        this.informer = informer;
        this.operationInformers = operationInformers;
        this.projection = projection;
    }

    /**
     * Starts the sync if the configuration asks for it: as a cluster singleton, so that however many
     * control-plane members there are, one of them writes the CRs. A kubeconfig that cannot be read fails
     * here, at start; an API server that cannot be reached is tried again with back-off.
     */
    public static void startIfConfigured(ActorSystem<?> system, ClusterSharding sharding,
                                         ActorRef<Scheduler.Command> scheduler, ImagePaths images, Config vireo)
            throws IOException {
        Config kube = vireo.getConfig("kubernetes");
        String kubeconfig = kube.getString("kubeconfig");
        io.fabric8.kubernetes.client.Config config = clientConfig(kube);
        if (config == null) {
            return;
        }
        String source = kubeconfig.isBlank() ? "in-cluster config" : "kubeconfig " + kubeconfig;
        Behavior<Void> singleton = Behaviors.<Void>supervise(Behaviors.setup(context -> {
            KubernetesSync sync = start(system, sharding, scheduler, images, vireo, config);
            log.info("Kubernetes sync on {} ({})", sync.client.getMasterUrl(), source);
            // stop before the shard regions do, or the last reconciles ask entities that are gone
            var early = CoordinatedShutdown.get(system.classicSystem()).addCancellableTask(
                    CoordinatedShutdown.PhaseServiceUnbind(), "kubernetes-sync", () -> {
                        sync.close();
                        return CompletableFuture.completedFuture(Done.getInstance());
                    });
            return Behaviors.<Void>receive(Void.class)
                    .onSignal(PostStop.class, signal -> {
                        early.cancel();
                        sync.close();
                        return Behaviors.same();
                    }).build();
        })).onFailure(SupervisorStrategy.restartWithBackoff(kube.getDuration("retry-base"),
                kube.getDuration("retry-max"), 0.2));
        ClusterSingleton.get(system).init(SingletonActor.of(singleton, "kubernetes-sync")
                .withProps(DispatcherSelector.blocking()));
    }

    /**
     * How to reach the Kubernetes API: {@code kubeconfig}, else the pod's own service account when
     * {@code in-cluster} is on; null when neither is. A kubeconfig that cannot be read fails here.
     */
    public static io.fabric8.kubernetes.client.Config clientConfig(Config kube) throws IOException {
        String kubeconfig = kube.getString("kubeconfig");
        if (!kubeconfig.isBlank()) {
            Path file = Path.of(kubeconfig);
            if (!Files.isReadable(file)) {
                throw new IOException("kubeconfig " + file + " cannot be read: give the path of a kubeconfig file");
            }
            return io.fabric8.kubernetes.client.Config.fromKubeconfig(null, Files.readString(file), file.toString());
        }
        return kube.getBoolean("in-cluster") ? io.fabric8.kubernetes.client.Config.autoConfigure(null) : null;
    }

    private static KubernetesSync start(ActorSystem<?> system, ClusterSharding sharding,
                                        ActorRef<Scheduler.Command> scheduler, ImagePaths images, Config vireo,
                                        io.fabric8.kubernetes.client.Config config) {
        Config kube = vireo.getConfig("kubernetes");
        long resync = kube.getDuration("resync").toMillis();
        KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
        ReconcileQueue queue = null;
        List<SharedIndexInformer<GenericKubernetesResource>> operationInformers = new ArrayList<>();
        try {
            VirtualMachineGateway vms = VirtualMachineGateway.of(system, sharding, scheduler,
                    vireo.getDuration("http.ask-timeout"));
            VirtualMachineReconciler reconciler = new VirtualMachineReconciler(client, vms, images, Clock.systemUTC());
            // the migration, snapshot and restore resources, indexed by their VM; started once the queue is there
            Map<OperationResource, SharedIndexInformer<GenericKubernetesResource>> byKind = new LinkedHashMap<>();
            for (OperationResource kind : List.of(new MigrationResource(
                    dev.vireo.api.MigrationRoutes.defaults(system.settings().config())), new SnapshotResource(), new RestoreResource())) {
                SharedIndexInformer<GenericKubernetesResource> i = client.genericKubernetesResources(kind.context)
                        .inAnyNamespace().runnableInformer(resync);
                i.addIndexers(Map.of(OperationReconciler.BY_VM, OperationReconciler::vmKeys));
                byKind.put(kind, i);
                operationInformers.add(i);
            }
            OperationReconciler operations = new OperationReconciler(client, byKind, vms, Clock.systemUTC());
            queue = new ReconcileQueue(id -> reconcile(id, reconciler, operations), kube.getDuration("retry-base"),
                    kube.getDuration("retry-max"));
            SharedIndexInformer<GenericKubernetesResource> informer = client.genericKubernetesResources(
                            VirtualMachineResource.CONTEXT).inAnyNamespace()
                    .inform(Attention.toVirtualMachines(queue), resync);
            for (Map.Entry<OperationResource, SharedIndexInformer<GenericKubernetesResource>> e : byKind.entrySet()) {
                e.getValue().addEventHandler(Attention.toOperations(e.getKey(), queue));
                // not waited for: a cluster without these CRDs still syncs its VMs (the informer logs and retries)
                e.getValue().start();
            }
            StatusProjection projection = StatusProjection.start(system, queue);
            return new KubernetesSync(client, queue, informer, operationInformers, projection);
        } catch (RuntimeException e) {
            operationInformers.forEach(SharedIndexInformer::close);
            if (queue != null) {
                queue.close();
            }
            client.close();
            throw e;
        }
    }

    /** A VM and then its operations: a failure of one does not keep the other back (both are tried again). */
    private static void reconcile(VmId id, VirtualMachineReconciler vm, OperationReconciler operations) {
        RuntimeException failure = null;
        if (isVmName(id)) {
            try {
                vm.reconcile(id);
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        try {
            operations.reconcile(id);
        } catch (RuntimeException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** A resource may name a VM that cannot be one ({@code spec.vmName: Web_1}): only its Failed status is written. */
    private static boolean isVmName(VmId id) {
        try {
            ManifestValidator.checkName("name", id.name());
            return true;
        } catch (InvalidManifestException e) {
            return false;
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        projection.close();
        operationInformers.forEach(SharedIndexInformer::close);
        informer.close();
        queue.close();
        client.close();
    }

    /**
     * Queues the VM a resource belongs to when the resource needs the sync's attention (a VirtualMachine: a new
     * generation, a delete, a missing finalizer; a migration, snapshot or restore: something to do). A resync,
     * or the echo of the sync's own status write, carries none of these and is dropped here.
     *
     * @param queueOnDelete a VirtualMachine removed behind Vireo's back (finalizer taken off by hand) comes back
     *                      while its VM exists; an operation's delete is handled through its finalizer instead
     */
    private record Attention(ReconcileQueue queue, Predicate<GenericKubernetesResource> needsAttention,
                             Function<GenericKubernetesResource, VmId> vm, boolean queueOnDelete)
            implements ResourceEventHandler<GenericKubernetesResource> {

        static Attention toVirtualMachines(ReconcileQueue queue) {
            return new Attention(queue, VirtualMachineResource::needsAttention, VirtualMachineResource::id, true);
        }

        static Attention toOperations(OperationResource kind, ReconcileQueue queue) {
            return new Attention(queue, cr -> OperationReconciler.needsAttention(kind, cr), OperationResource::vm, false);
        }

        @Override
        public void onAdd(GenericKubernetesResource cr) {
            if (needsAttention.test(cr)) {
                queue.submitRetrying(vm.apply(cr));
            }
        }

        @Override
        public void onUpdate(GenericKubernetesResource old, GenericKubernetesResource cr) {
            onAdd(cr);
        }

        @Override
        public void onDelete(GenericKubernetesResource cr, boolean finalStateUnknown) {
            if (queueOnDelete) {
                queue.submitRetrying(vm.apply(cr));
            }
        }
    }
}
