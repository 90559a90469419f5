package io.cohort.simulation.replica;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Everything that happened in one simulated replica run, in order, with the simulated time of
 * each event, plus how the run ended. Tests may build one by hand to prove a check fires.
 */
public final class ReplicaHistory {

    private final List<ReplicaEvent> events = new ArrayList<>();
    private final List<Long> times = new ArrayList<>();
    private boolean livenessOwed;
    private boolean settled;

    /**
     * Appends an event at time 0 (for hand-built histories).
     *
     * @param event the event
     * @return this history
     */
    public ReplicaHistory record(ReplicaEvent event) {
        return record(0, event);
    }

    /**
     * Appends an event.
     *
     * @param timeMillis simulated time
     * @param event      the event
     * @return this history
     */
    public ReplicaHistory record(long timeMillis, ReplicaEvent event) {
        events.add(event);
        times.add(timeMillis);
        return this;
    }

    /**
     * Declares how the run ended.
     *
     * @param livenessOwed whether liveness and end-state checks apply (network healed, a majority
     *                     of the last view alive with the state)
     * @param settled      whether every replica was back, in one view, at one applied index
     * @return this history
     */
    public ReplicaHistory end(boolean livenessOwed, boolean settled) {
        this.livenessOwed = livenessOwed;
        this.settled = settled;
        return this;
    }

    /** @return the events in order (unmodifiable) */
    public List<ReplicaEvent> events() {
        return Collections.unmodifiableList(events);
    }

    /**
     * @param position an event's position
     * @return its simulated time
     */
    public long timeOf(int position) {
        return times.get(position);
    }

    /** @return whether liveness and the end-state checks apply */
    public boolean livenessOwed() {
        return livenessOwed;
    }

    /** @return whether the group settled */
    public boolean settled() {
        return settled;
    }

    /** @return the history as text, one event per line with its simulated time */
    public List<String> trace() {
        List<String> lines = new ArrayList<>(events.size());
        for (int i = 0; i < events.size(); i++) {
            lines.add(String.format("%7dms %s", times.get(i), events.get(i)));
        }
        return lines;
    }

    /**
     * A stable digest of the whole history: two runs of one seed give the same digest.
     *
     * @return a hex digest and the event count
     */
    public String digest() {
        long h = 1125899906842597L;
        for (int i = 0; i < events.size(); i++) {
            h = 31 * h + times.get(i);
            String s = events.get(i).toString();
            for (int c = 0; c < s.length(); c++) {
                h = 31 * h + s.charAt(c);
            }
        }
        return Long.toHexString(h) + "/" + events.size();
    }
}
