package dev.vireo.vm;

import dev.vireo.protocol.api.RequestIds;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmEffect;
import dev.vireo.scheduler.Scheduler;
import java.time.Clock;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/** Carries out a VM's effects: placements through the scheduler, domain work through the node, timers. */
public final class EntityOutbox implements VirtualMachineEntity.Outbox {

    private static final String BACKOFF_TIMER = "crash-loop-backoff";

    private final ActorRef<Scheduler.Command> scheduler;
    private final Clock clock;

    public EntityOutbox(ActorRef<Scheduler.Command> scheduler, Clock clock) {
        this.scheduler = scheduler;
        this.clock = clock;
    }

    @Override
    public boolean placeFor(VmEffect.RequestPlacement e, ActorRef<VmCommand> answerTo) {
        place(e, answerTo);
        return true;
    }

    private void place(VmEffect.RequestPlacement e, ActorRef<VmCommand> answerTo) {
        scheduler.tell(new Scheduler.Place(e.vm(), e.incarnation(), e.cores(), e.memoryBytes(), e.nodeSelector(),
                e.imageFiles(), e.requestId(), answerTo));
    }

    @Override
    public void carryOut(VmEffect effect, ActorContext<VirtualMachineEntity.Command> context,
                         TimerScheduler<VirtualMachineEntity.Command> timers) {
        if (effect instanceof VmEffect.RequestPlacement e) {
            place(e, null);
        } else if (effect instanceof VmEffect.ClaimPlacement e) {
            scheduler.tell(new Scheduler.Claim(e.vm(), e.node(), e.incarnation(), e.cores(), e.memoryBytes()));
        } else if (effect instanceof VmEffect.ReleasePlacement e) {
            scheduler.tell(new Scheduler.Release(e.vm(), e.incarnation()));
        } else if (effect instanceof VmEffect.ToNode e) {
            scheduler.tell(new Scheduler.ToNode(e.command()));
        } else if (effect instanceof VmEffect.DeleteFilesOnNodes e) {
            scheduler.tell(new Scheduler.DeleteVmFiles(e.vm(), e.uid(), e.requestId()));
        } else if (effect instanceof VmEffect.ReserveMigrationTarget e) {
            scheduler.tell(new Scheduler.ReserveMigrationTarget(e.vm(), e.migrationId(), e.source(), e.node(),
                    e.incarnation(), e.cores(), e.memoryBytes(), e.nodeSelector(), e.imageFiles(), e.requestId()));
        } else if (effect instanceof VmEffect.ClaimMigrationTarget e) {
            scheduler.tell(new Scheduler.ClaimMigrationTarget(e.vm(), e.migrationId(), e.source(), e.node(),
                    e.incarnation(), e.cores(), e.memoryBytes()));
        } else if (effect instanceof VmEffect.ReleaseMigrationTarget e) {
            scheduler.tell(new Scheduler.ReleaseMigrationTarget(e.vm(), e.migrationId()));
        } else if (effect instanceof VmEffect.PromoteMigrationTarget e) {
            scheduler.tell(new Scheduler.PromoteMigrationTarget(e.vm(), e.migrationId(), e.node(), e.incarnation(),
                    e.cores(), e.memoryBytes()));
        } else if (effect instanceof VmEffect.WakeAt e) {
            Duration delay = Duration.between(clock.instant(), e.at());
            VmCommand wake = new VmCommand.BackoffExpired(RequestIds.BACKOFF + e.at().toEpochMilli(), e.at());
            timers.startSingleTimer(BACKOFF_TIMER, new VirtualMachineEntity.Execute(wake, null),
                    delay.isNegative() ? Duration.ZERO : delay);
        }
    }
}
