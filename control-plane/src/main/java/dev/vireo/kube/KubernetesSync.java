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
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
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
    private final StatusProjection projection;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private KubernetesSync(KubernetesClient client, ReconcileQueue queue,
                           SharedIndexInformer<GenericKubernetesResource> informer, StatusProjection projection) {
        this.client = client;
        this.queue = queue;
        this.informer = informer;
        this.projection = projection;
    }

    /**
     * Starts the sync if the configuration asks for it: as a cluster singleton, so that however many
     * control-plane members there are, one of them writes the CRs. A kubeconfig that cannot be read fails
     * here, at start; an API server that cannot be reached is tried again with back-off.
     */
    public static void startIfConfigured(ActorSystem<?> system, ClusterSharding sharding, ImagePaths images,
                                         Config vireo) throws IOException {
        Config kube = vireo.getConfig("kubernetes");
        String kubeconfig = kube.getString("kubeconfig");
        boolean inCluster = kube.getBoolean("in-cluster");
        if (kubeconfig.isBlank() && !inCluster) {
            return;
        }
        io.fabric8.kubernetes.client.Config config;
        if (!kubeconfig.isBlank()) {
            Path file = Path.of(kubeconfig);
            if (!Files.isReadable(file)) {
                throw new IOException("kubeconfig " + file + " cannot be read: give the path of a kubeconfig file");
            }
            config = io.fabric8.kubernetes.client.Config.fromKubeconfig(null, Files.readString(file), file.toString());
        } else {
            config = io.fabric8.kubernetes.client.Config.autoConfigure(null);
        }
        String source = kubeconfig.isBlank() ? "in-cluster config" : "kubeconfig " + kubeconfig;
        Behavior<Void> singleton = Behaviors.<Void>supervise(Behaviors.setup(context -> {
            KubernetesSync sync = start(system, sharding, images, vireo, config);
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

    private static KubernetesSync start(ActorSystem<?> system, ClusterSharding sharding, ImagePaths images,
                                        Config vireo, io.fabric8.kubernetes.client.Config config) {
        Config kube = vireo.getConfig("kubernetes");
        KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
        ReconcileQueue queue = null;
        try {
            VirtualMachineReconciler reconciler = new VirtualMachineReconciler(client,
                    VirtualMachineGateway.of(sharding, vireo.getDuration("http.ask-timeout")),
                    images, Clock.systemUTC());
            queue = new ReconcileQueue(reconciler::reconcile, kube.getDuration("retry-base"),
                    kube.getDuration("retry-max"));
            SharedIndexInformer<GenericKubernetesResource> informer = client.genericKubernetesResources(
                            VirtualMachineResource.CONTEXT).inAnyNamespace()
                    .inform(new Handler(queue), kube.getDuration("resync").toMillis());
            StatusProjection projection = StatusProjection.start(system, queue);
            return new KubernetesSync(client, queue, informer, projection);
        } catch (RuntimeException e) {
            if (queue != null) {
                queue.close();
            }
            client.close();
            throw e;
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        projection.close();
        informer.close();
        queue.close();
        client.close();
    }

    /**
     * Only what needs the sync's attention is queued: a new generation, a delete, a missing finalizer. A
     * resync, or the echo of the sync's own status write, carries none of these and is dropped here.
     */
    private record Handler(ReconcileQueue queue) implements ResourceEventHandler<GenericKubernetesResource> {
        @Override
        public void onAdd(GenericKubernetesResource cr) {
            if (VirtualMachineResource.needsAttention(cr)) {
                queue.submitRetrying(VirtualMachineResource.id(cr));
            }
        }

        @Override
        public void onUpdate(GenericKubernetesResource old, GenericKubernetesResource cr) {
            onAdd(cr);
        }

        @Override
        public void onDelete(GenericKubernetesResource cr, boolean finalStateUnknown) {
            // a CR removed behind Vireo's back (finalizer taken off by hand) comes back while its VM exists
            queue.submitRetrying(VirtualMachineResource.id(cr));
        }
    }
}
