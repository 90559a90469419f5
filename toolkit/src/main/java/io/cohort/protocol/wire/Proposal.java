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
 * @param joinerHints     for each joiner (same index), the state hint it sent with its join request
 *                        (empty if none), passed to its donor
 */
public record Proposal(long oldViewId, long newViewId, List<MemberId> members, List<MemberId> joiners,
                       List<MemberId> donors, long[] cutFrontiers, long cutOrderPrefix, OrderRuns cutOrderTail,
                       List<byte[]> joinerHints) {

    /** Freezes the lists; checks that every joiner has a donor and a hint. */
    public Proposal {
        members = List.copyOf(members);
        joiners = List.copyOf(joiners);
        donors = List.copyOf(donors);
        joinerHints = List.copyOf(joinerHints);
        if (donors.size() != joiners.size() || joinerHints.size() != joiners.size()) {
            throw new IllegalArgumentException("each joiner needs one donor and one hint");
        }
    }

    /** A proposal whose joiners sent no state hints. */
    public Proposal(long oldViewId, long newViewId, List<MemberId> members, List<MemberId> joiners,
                    List<MemberId> donors, long[] cutFrontiers, long cutOrderPrefix, OrderRuns cutOrderTail) {
        this(oldViewId, newViewId, members, joiners, donors, cutFrontiers, cutOrderPrefix, cutOrderTail,
                java.util.Collections.nCopies(joiners.size(), new byte[0]));
    }

    /**
     * @param hintOf the state hint each joiner sent (or an empty array)
     * @return this proposal with the joiners' hints filled in
     */
    public Proposal withJoinerHints(java.util.function.Function<MemberId, byte[]> hintOf) {
        List<byte[]> hints = new java.util.ArrayList<>(joiners.size());
        for (MemberId j : joiners) {
            hints.add(hintOf.apply(j));
        }
        return new Proposal(oldViewId, newViewId, members, joiners, donors, cutFrontiers, cutOrderPrefix, cutOrderTail,
                hints);
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
