package io.cohort.protocol.membership;

import io.cohort.api.MemberId;
import io.cohort.protocol.wire.Proposal;
import io.cohort.protocol.wire.ProtocolMessage;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * One ballot of a view-change leader: phase 1 collects promises (members wedge and report),
 * phase 2 collects acceptances of one proposal. A proposal accepted by a majority of the old view
 * is chosen; no other proposal can be chosen for that view, whatever leaders fail afterwards.
 */
public final class LeaderAttempt {

    /** Where the attempt stands. */
    public enum Phase {
        /** Waiting for promises. */
        PREPARING,
        /** Waiting for acceptances of {@link #proposal()}. */
        ACCEPTING,
        /** Chosen and committed. */
        COMMITTED
    }

    private final long viewId;
    private final long ballot;
    private Phase phase = Phase.PREPARING;
    private final Map<MemberId, ProtocolMessage.Promise> promises = new LinkedHashMap<>();
    private final Set<MemberId> accepted = new LinkedHashSet<>();
    private Proposal proposal;

    /**
     * @param viewId the view being changed
     * @param ballot this attempt's ballot
     */
    public LeaderAttempt(long viewId, long ballot) {
        this.viewId = viewId;
        this.ballot = ballot;
    }

    /** @return the view being changed */
    public long viewId() {
        return viewId;
    }

    /** @return the ballot */
    public long ballot() {
        return ballot;
    }

    /** @return the phase */
    public Phase phase() {
        return phase;
    }

    /** @return promises received, by member, in arrival order */
    public Map<MemberId, ProtocolMessage.Promise> promises() {
        return promises;
    }

    /** @return members that accepted the proposal */
    public Set<MemberId> accepted() {
        return accepted;
    }

    /** @return the proposal (phase 2 onwards), or null */
    public Proposal proposal() {
        return proposal;
    }

    /**
     * Moves to phase 2.
     *
     * @param p the proposal to get accepted
     */
    public void propose(Proposal p) {
        proposal = p;
        phase = Phase.ACCEPTING;
    }

    /** Marks the proposal chosen. */
    public void committed() {
        phase = Phase.COMMITTED;
    }

    /**
     * The promise carrying the accepted proposal with the highest ballot: a later leader must
     * adopt it, because it may already have been chosen.
     *
     * @return that promise, or null if no promiser accepted anything
     */
    public ProtocolMessage.Promise highestAccepted() {
        ProtocolMessage.Promise best = null;
        for (ProtocolMessage.Promise p : promises.values()) {
            if (p.acceptedProposal() != null && (best == null || p.acceptedBallot() > best.acceptedBallot())) {
                best = p;
            }
        }
        return best;
    }

    /**
     * Ballots order attempts across leaders: a round number, then the leader's rank to break ties.
     *
     * @param round attempt round
     * @param rank  leader's rank in the view
     * @return the ballot
     */
    public static long ballot(long round, int rank) {
        return (round << 16) | rank;
    }

    /**
     * @param ballot a ballot
     * @return its round
     */
    public static long roundOf(long ballot) {
        return ballot >>> 16;
    }
}
