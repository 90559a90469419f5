package io.cohort.simulation;

import io.cohort.api.MemberId;
import io.cohort.api.View;
import io.cohort.protocol.GroupMember;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The heartbeat failure detector of a simulated host, in simulated time: every
 * {@link #HEARTBEAT_MILLIS} the host heartbeats the other members of its view and suspects those
 * silent for more than {@link #SUSPECT_AFTER_MILLIS}. Shared by every kind of simulated host, so
 * that group runs and replica runs see failures detected the same way.
 */
public final class SimFailureDetector {

    /** Heartbeat period. */
    public static final long HEARTBEAT_MILLIS = 100;
    /** Silence after which a member is suspected. */
    public static final long SUSPECT_AFTER_MILLIS = 700;

    private final Map<MemberId, Long> lastHeard = new HashMap<>();

    /**
     * @param from a member heard from
     * @param now  simulated time
     */
    public void heardFrom(MemberId from, long now) {
        lastHeard.put(from, now);
    }

    /** Forgets everything: a new incarnation starts listening afresh. */
    public void reset() {
        lastHeard.clear();
    }

    /**
     * One heartbeat period: heartbeats every other member of the core's view and suspects the
     * silent ones in the core. Does nothing without a view.
     *
     * @param core      the host's protocol core
     * @param now       simulated time
     * @param heartbeat sends one heartbeat to a member
     * @return whether the core had a view (and so may have effects to carry out)
     */
    public boolean tick(GroupMember core, long now, Consumer<MemberId> heartbeat) {
        View view = core.view();
        if (view == null) {
            return false;
        }
        for (MemberId m : view.members()) {
            if (m.equals(core.self())) {
                continue;
            }
            heartbeat.accept(m);
            Long last = lastHeard.putIfAbsent(m, now);
            if (last != null && now - last > SUSPECT_AFTER_MILLIS) {
                core.suspect(m);
            }
        }
        return true;
    }
}
