package io.cohort.replication.core;

import io.cohort.api.View;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Holds answers back until what they reveal is durable at a majority of the view.
 *
 * <p>Each member reports how far its command log holds the delivered commands ({@link
 * Entry.LogProgress}). The command at log sequence {@code s} is durable once a majority of the
 * current view reports at least {@code s}: then any majority that restarts the group after a total
 * failure includes a member that has it. An answer that depends on sequence {@code s} (a command's
 * result, a duplicate's stored result, a linearizable read of a state including it) waits until
 * then. Sans-IO: the core feeds it reports and views, and runs what it releases.
 */
final class DurabilityGate {

    private record Parked(long sequence, Runnable release, Runnable abandon) {
    }

    private final Map<String, Long> loggedThrough = new HashMap<>();
    private final ArrayDeque<Parked> parked = new ArrayDeque<>();
    private boolean enabled;
    private long durableThrough;
    private View view;

    /** Turns holding answers back on (durability levels LOG and SYNC). */
    void enable() {
        enabled = true;
    }

    boolean enabled() {
        return enabled;
    }

    /** @return the highest log sequence a majority of the view holds (everything, when disabled) */
    long durableThrough() {
        return enabled ? durableThrough : Long.MAX_VALUE;
    }

    /** @return the highest log sequence any member of the view reported (0 if none did) */
    long highestReported() {
        long highest = 0;
        for (long sequence : loggedThrough.values()) {
            highest = Math.max(highest, sequence);
        }
        return highest;
    }

    /**
     * Runs {@code release} once sequence {@code sequence} is durable (now, if it already is), or
     * {@code abandon} if this member leaves the group first.
     */
    void whenDurable(long sequence, Runnable release, Runnable abandon) {
        if (!enabled || (sequence <= durableThrough && parked.isEmpty())) {
            release.run();
        } else {
            parked.add(new Parked(sequence, release, abandon));
        }
    }

    /**
     * A member reported how far its log goes.
     *
     * @param member   the member's name
     * @param sequence its last held log sequence
     */
    void reported(String member, long sequence) {
        loggedThrough.merge(member, sequence, Math::max);
        recompute();
    }

    /**
     * A view was installed: only its members count from now on.
     *
     * @param next the view
     */
    void viewInstalled(View next) {
        view = next;
        List<String> names = new ArrayList<>(next.size());
        next.members().forEach(m -> names.add(m.name()));
        loggedThrough.keySet().retainAll(names);
        recompute();
    }

    /**
     * This member left the group: everything parked is abandoned, and reports start afresh.
     */
    void exited() {
        List<Parked> all = new ArrayList<>(parked);
        parked.clear();
        loggedThrough.clear();
        view = null;
        durableThrough = 0;
        all.forEach(p -> p.abandon().run());
    }

    private void recompute() {
        if (view == null) {
            return;
        }
        long[] held = new long[view.size()];
        for (int i = 0; i < held.length; i++) {
            held[i] = loggedThrough.getOrDefault(view.members().get(i).name(), 0L);
        }
        Arrays.sort(held);
        // The majority-th highest report: that many members hold at least this much.
        long majorityHolds = held[held.length - view.majority()];
        if (majorityHolds > durableThrough) {
            durableThrough = majorityHolds;
        }
        while (!parked.isEmpty() && parked.peek().sequence() <= durableThrough) {
            parked.poll().release().run();
        }
    }
}
