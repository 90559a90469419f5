package io.cohort.simulation;

import io.cohort.api.MemberId;
import io.cohort.protocol.Effect;
import io.cohort.protocol.GroupMember;
import io.cohort.protocol.ProtocolConfig;
import io.cohort.protocol.TimerKind;
import java.util.ArrayList;
import java.util.List;

/**
 * What every simulated host does for its protocol core, whatever application it runs: one
 * incarnation after another, frames and heartbeats in, the failure detector and the core's timers
 * on the simulated clock, and the core's effects carried out in order. Subclasses add the
 * application and say what each effect means to it.
 */
public abstract class GroupHost implements SimHost {

    private final String name;
    private final EventQueue events;
    private final ProtocolConfig config;
    private final SimFailureDetector detector = new SimFailureDetector();
    private long incarnation;
    private GroupMember member;
    private boolean up;

    /**
     * @param name   the host's stable name
     * @param events the simulated clock
     * @param config the protocol's settings
     */
    protected GroupHost(String name, EventQueue events, ProtocolConfig config) {
        this.name = name;
        this.events = events;
        this.config = config;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final boolean up() {
        return up;
    }

    @Override
    public final MemberId id() {
        return member == null ? null : member.self();
    }

    /** @return the core of the current incarnation (null before the first) */
    protected final GroupMember member() {
        return member;
    }

    /** @return the current incarnation's number */
    protected final long incarnation() {
        return incarnation;
    }

    /** @return whether the current incarnation is out of the group for good */
    public final boolean terminal() {
        return member.status() == GroupMember.Status.EXCLUDED || member.status() == GroupMember.Status.LEFT;
    }

    /**
     * Starts the next incarnation: a fresh core, the application's own reset, then the heartbeat.
     *
     * @return the new core
     */
    protected final GroupMember startIncarnation() {
        incarnation++;
        member = new GroupMember(MemberId.of(name, incarnation), config);
        up = true;
        detector.reset();
        onNewIncarnation(member.self());
        long mine = incarnation;
        events.after(SimFailureDetector.HEARTBEAT_MILLIS, () -> heartbeatTick(mine));
        return member;
    }

    /**
     * The process dies: nothing it held survives.
     *
     * @return false if it was already down
     */
    protected final boolean stop() {
        if (!up) {
            return false;
        }
        up = false;
        return true;
    }

    /** @param self the new incarnation, whose application state starts afresh */
    protected abstract void onNewIncarnation(MemberId self);

    /** A frame reaches whichever incarnation runs on this host now; its core checks the address. */
    @Override
    public final void receiveFrame(byte[] bytes) {
        if (!up || terminal()) {
            return;
        }
        member.receive(bytes);
        pump();
    }

    @Override
    public final void receiveHeartbeat(MemberId from) {
        if (up) {
            detector.heardFrom(from, events.now());
        }
    }

    /** @param to the member to send a heartbeat to */
    protected abstract void sendHeartbeat(MemberId to);

    private void heartbeatTick(long forIncarnation) {
        if (!up || forIncarnation != incarnation || terminal()) {
            return;
        }
        if (detector.tick(member, events.now(), this::sendHeartbeat)) {
            pump();
        }
        events.after(SimFailureDetector.HEARTBEAT_MILLIS, () -> heartbeatTick(forIncarnation));
    }

    /** Sets the timer a {@link Effect.SetTimer} asks for, for this incarnation only. */
    protected final void setTimer(Effect.SetTimer t) {
        long inc = incarnation;
        events.after(t.delayMillis(), () -> timerFired(inc, t.timer()));
    }

    private void timerFired(long forIncarnation, TimerKind kind) {
        if (!up || forIncarnation != incarnation || terminal()) {
            return;
        }
        member.timerFired(kind);
        pump();
    }

    /** Carries out the core's effects, in order, until it has nothing more to say. */
    protected final void pump() {
        GroupMember g = member;
        List<Effect> effects = new ArrayList<>(g.takeEffects());
        while (!effects.isEmpty()) {
            for (Effect e : effects) {
                carryOut(e);
            }
            effects = new ArrayList<>(g.takeEffects());
        }
    }

    /** @param e one effect of the core, in order */
    protected abstract void carryOut(Effect e);
}
