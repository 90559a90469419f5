package io.cohort.simulation.history;

import io.cohort.api.MemberId;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Everything the members of one run did, in order, plus how the run ended. The checker judges a
 * history against the properties of DESIGN.md section 2.
 */
public final class History {

    private final List<HistoryEvent> events = new ArrayList<>();
    private final Set<MemberId> liveAtEnd = new LinkedHashSet<>();
    private boolean livenessExpected;

    /**
     * Appends an event.
     *
     * @param event the event
     */
    public void record(HistoryEvent event) {
        events.add(event);
    }

    /**
     * Declares how the run ended: which member incarnations were alive and in the group, and
     * whether the run ended in conditions where liveness is owed (network healed, a majority of
     * the last view alive, enough quiet time to converge).
     *
     * @param live             members alive at the end (not crashed, not excluded, not left)
     * @param livenessExpected whether property 7 applies to this run
     */
    public void end(Set<MemberId> live, boolean livenessExpected) {
        liveAtEnd.clear();
        liveAtEnd.addAll(live);
        this.livenessExpected = livenessExpected;
    }

    /** @return the events in recorded order (unmodifiable view) */
    public List<HistoryEvent> events() {
        return Collections.unmodifiableList(events);
    }

    /** @return members alive at the end of the run */
    public Set<MemberId> liveAtEnd() {
        return Collections.unmodifiableSet(liveAtEnd);
    }

    /** @return whether property 7 (liveness) applies to this run */
    public boolean livenessExpected() {
        return livenessExpected;
    }

    /**
     * A stable digest of the whole history; two runs of the same seed must give the same digest.
     *
     * @return a hex digest
     */
    public String digest() {
        long h = 1125899906842597L;
        for (HistoryEvent e : events) {
            String s = e.toString();
            for (int i = 0; i < s.length(); i++) {
                h = 31 * h + s.charAt(i);
            }
        }
        return Long.toHexString(h) + "/" + events.size();
    }
}
