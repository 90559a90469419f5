package io.cohort.protocol.membership;

import io.cohort.api.MemberId;
import io.cohort.protocol.wire.OrderRuns;
import io.cohort.protocol.wire.Proposal;
import io.cohort.protocol.wire.Streams;

import java.util.HashSet;
import java.util.Set;

/**
 * Checks that a proposal received from the network is internally consistent before a member
 * accepts or installs it. A proposal that fails is ignored and counted: acting on it could crash
 * the member (ranks outside the view, a tail beyond the cut) or move the group to a view that
 * was never agreed (a view id that skips ahead).
 */
public final class ProposalCheck {

    private ProposalCheck() {
    }

    /**
     * @param p           the proposal
     * @param oldViewSize size of the view it replaces, or -1 if unknown (a joiner)
     * @return null if well formed, otherwise what is wrong
     */
    public static String problem(Proposal p, int oldViewSize) {
        if (p.newViewId() != p.oldViewId() + 1) {
            return "view id " + p.newViewId() + " does not follow " + p.oldViewId();
        }
        Set<String> names = new HashSet<>();
        for (MemberId m : p.members()) {
            if (!names.add(m.name())) {
                return "member name repeats: " + m.name();
            }
        }
        if (!p.members().containsAll(p.joiners()) || !p.members().containsAll(p.donors())) {
            return "joiners or donors outside the proposed view";
        }
        if (oldViewSize < 0) {
            return null;
        }
        if (p.cutFrontiers().length != oldViewSize * Streams.COUNT) {
            return "cut has " + p.cutFrontiers().length + " frontiers for a view of " + oldViewSize;
        }
        OrderRuns tail = p.cutOrderTail();
        for (int i = 0; i < tail.size(); i++) {
            int rank = tail.ranks()[i];
            if (rank >= oldViewSize) {
                return "order tail names rank " + rank + " outside the view";
            }
            long last = tail.firstSeqs()[i] + tail.counts()[i] - 1;
            if (last > p.cutFrontiers()[Streams.index(rank, Streams.TOTAL)]) {
                return "order tail goes past the cut for rank " + rank;
            }
        }
        return null;
    }
}
