package io.cohort.protocol.wire;

import io.cohort.api.MemberId;

import java.util.List;

/**
 * A view-change leader's proposal for the successor of view {@code oldViewId}: the next view and
 * the cut (exactly which messages of the old view every member of the next view delivers).
 *
 * @param oldViewId       the view being replaced
 * @param newViewId       id of the next view ({@code oldViewId + 1})
 * @param members         next view's members in rank order
 * @param joiners         members of the next view that start from a state transfer
 * @param donors          for each joiner (same index), the member that sends it the state
 * @param cutFrontiers    per (old rank, stream), how many messages of the old view are delivered
 * @param cutOrderPrefix  total-order positions of the old view delivered as the sequencer ordered them
 * @param cutOrderTail    further TOTAL/SAFE messages no survivor saw ordered, in the order the
 *                        leader fixed, delivered after the prefix
 */
public record Proposal(long oldViewId, long newViewId, List<MemberId> members, List<MemberId> joiners,
                       List<MemberId> donors, long[] cutFrontiers, long cutOrderPrefix, OrderRuns cutOrderTail) {

    /** Freezes the lists. */
    public Proposal {
        members = List.copyOf(members);
        joiners = List.copyOf(joiners);
        donors = List.copyOf(donors);
    }

    /**
     * @param member a member
     * @return the donor assigned to the member if it joins in this view, or null
     */
    public MemberId donorFor(MemberId member) {
        int i = joiners.indexOf(member);
        return i < 0 ? null : donors.get(i);
    }
}
