package dev.vireo.api;

import com.typesafe.config.Config;
import dev.vireo.protocol.vm.MigrationPolicy;
import dev.vireo.protocol.vm.Phase;
import dev.vireo.protocol.vm.Rejection;
import dev.vireo.protocol.vm.VirtualMachineSpec.EvictionStrategy;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmState;
import dev.vireo.scheduler.NodeView;
import dev.vireo.vm.VirtualMachineEntity;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Drain of a node: it is cordoned (no new VMs), then each of its VMs moves as its {@code evictionStrategy} says:
 * LiveMigrate ones are live-migrated (the scheduler chooses where) with the cluster's migration defaults, as a
 * {@code POST …/migrate} without fields would be, the others are restarted, which places them on another node. The
 * answer says, VM by VM, what was done and what could not be.
 */
final class NodeDrain {

    /** What drain did with one VM: Migrating (with the migration's id), Restarting, or NotMoved (with the reason). */
    record Eviction(String vm, String action, String migrationId, String reason) {
    }

    private final StatusRoutes status;
    private final VirtualMachines vms;
    private final MigrationPolicy defaults;
    /** Why the cluster's defaults cannot be migrated with (post-copy it does not allow); null when they can. */
    private final Rejection defaultsRefused;

    NodeDrain(StatusRoutes status, VirtualMachines vms, Config config) {
        this.status = status;
        this.vms = vms;
        this.defaults = MigrationRoutes.defaults(config);
        this.defaultsRefused = MigrationRoutes.whyNotPolicy(config, new MigrationRoutes.Request(null, defaults));
    }

    /** The node's view after the cordon with what happened to each VM; null when the node is unknown. */
    CompletionStage<Map<String, Object>> drain(String node, String requestId, String principal) {
        return status.cordon(node, true, requestId, principal).thenCompose(view -> {
            if (view == null) {
                return CompletableFuture.completedFuture(null);
            }
            List<CompletableFuture<Eviction>> evictions = new ArrayList<>();
            for (String vm : view.virtualMachines()) {
                evictions.add(evict(VmId.parse(vm), node, requestId, principal).toCompletableFuture());
            }
            return CompletableFuture.allOf(evictions.toArray(CompletableFuture[]::new)).thenApply(done -> {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("kind", "NodeDrain");
                body.put("node", node);
                body.put("cordoned", true);
                body.put("items", evictions.stream().map(CompletableFuture::join).toList());
                return body;
            });
        });
    }

    private CompletionStage<Eviction> evict(VmId vm, String node, String requestId, String principal) {
        return vms.get(vm).thenCompose(state -> {
            if (!state.exists() || !node.equals(state.node())) {
                return done(new Eviction(vm.entityId(), "NotMoved", null, "it no longer runs on node " + node));
            }
            if (state.phase() == Phase.Migrating) {
                return done(new Eviction(vm.entityId(), "Migrating", state.migration().id(), null));
            }
            boolean migrate = state.spec().evictionStrategy() == EvictionStrategy.LiveMigrate
                    && state.phase() == Phase.Running;
            String migrationId = "mig-" + UUID.randomUUID().toString().substring(0, 8);
            if (migrate && defaultsRefused != null) {
                return done(new Eviction(vm.entityId(), "NotMoved", null, defaultsRefused.message()));
            }
            VmCommand command = migrate
                    ? new VmCommand.Migrate(requestId, principal, migrationId, null, defaults)
                    : new VmCommand.Restart(requestId, principal);
            return vms.execute(vm, command).thenApply(reply -> {
                if (reply instanceof VirtualMachineEntity.Refused refused) {
                    return new Eviction(vm.entityId(), "NotMoved", null, refused.rejection().message());
                }
                return migrate ? new Eviction(vm.entityId(), "Migrating", migrationId, null)
                        : new Eviction(vm.entityId(), "Restarting", null, whyRestart(state));
            });
        });
    }

    private static String whyRestart(VmState state) {
        return state.spec().evictionStrategy() == EvictionStrategy.LiveMigrate
                ? "it is " + state.phase() + ", not Running: restarted elsewhere instead"
                : "evictionStrategy None: stopped here and started on another node";
    }

    private static CompletionStage<Eviction> done(Eviction eviction) {
        return CompletableFuture.completedFuture(eviction);
    }
}
