package io.cohort.protocol.membership;

import io.cohort.api.MemberId;
import io.cohort.api.View;
import io.cohort.protocol.multicast.Cut;
import io.cohort.protocol.wire.Proposal;
import io.cohort.protocol.wire.ProtocolMessage;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides the membership of the next view from the promises a leader collected. Only members
 * whose reports went into the cut may pass into the next view (otherwise a member could have
 * delivered something the others never will). Members without state, and new joiners, join
 * through a state transfer from the lowest-ranked member that has state.
 */
public final class ProposalPlanner {

    private ProposalPlanner() {
    }

    /**
     * @param view     the view being changed
     * @param promises promises of this ballot, by member
     * @param suspected members to exclude as failed
     * @param leaving  members leaving cleanly
     * @param joiners  processes asking to join, in arrival order
     * @param cut      the cut computed from the promises
     * @return the proposal, or null if no member with state remains to give the next view its state
     */
    public static Proposal plan(View view, Map<MemberId, ProtocolMessage.Promise> promises, Set<MemberId> suspected,
                                Set<MemberId> leaving, Iterable<MemberId> joiners, Cut cut) {
        Proposal p = plan(view, promises, suspected, leaving, joiners, cut, false);
        // Removing members must not take the group's last copy of the state: if only leaving or
        // suspected members hold it (they promised, so they are alive), they stay one more view
        // and hand the state over; they go in a later one.
        return p != null ? p : plan(view, promises, suspected, leaving, joiners, cut, true);
    }

    private static Proposal plan(View view, Map<MemberId, ProtocolMessage.Promise> promises, Set<MemberId> suspected,
                                 Set<MemberId> leaving, Iterable<MemberId> joiners, Cut cut, boolean keepLeavers) {
        List<MemberId> members = new ArrayList<>();
        List<MemberId> needState = new ArrayList<>();
        MemberId donor = null;
        Set<String> names = new HashSet<>();
        for (MemberId m : view.members()) {
            ProtocolMessage.Promise p = promises.get(m);
            boolean departing = suspected.contains(m) || leaving.contains(m);
            if (p == null || (departing && !(keepLeavers && p.report().stateful()))) {
                continue;
            }
            members.add(m);
            names.add(m.name());
            if (p.report().stateful()) {
                // The highest-ranked member with state donates: rank 0 is the sequencer, the
                // busiest member, and in primary-backup the primary, whose state runs ahead of delivery.
                donor = m;
            } else {
                needState.add(m);
            }
        }
        for (MemberId j : joiners) {
            if (!suspected.contains(j) && !view.contains(j) && names.add(j.name())) {
                members.add(j);
                needState.add(j);
            }
        }
        if (donor == null) {
            return null;
        }
        List<MemberId> donors = new ArrayList<>(needState.size());
        for (int i = 0; i < needState.size(); i++) {
            donors.add(donor);
        }
        return new Proposal(view.viewId(), view.viewId() + 1, members, needState, donors, cut.frontiers(),
                cut.orderPrefix(), cut.orderTail());
    }
}
