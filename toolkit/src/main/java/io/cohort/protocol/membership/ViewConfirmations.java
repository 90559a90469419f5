package io.cohort.protocol.membership;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The confirmation rounds a member runs to prove its view is current, the freshness proof of
 * linearizable reads (Raft's ReadIndex, with "still in the view" in place of "still leader").
 *
 * <p>A round records, when it starts, how many total-order positions the member holds. Every SAFE
 * message delivered anywhere before that moment was held by every member of the view, this one
 * included, so it lies within that count. The round succeeds once a majority of the view has
 * confirmed that it had not wedged for a next view when asked (so no later view can have been
 * committed before the round began) and the member has delivered everything it held at the start.
 * Rounds of one view only: any view change fails them all.
 */
public final class ViewConfirmations {

    /** One open round. */
    private static final class Round {
        final long heldAtStart;
        final BitSet confirmedRanks = new BitSet();

        Round(long heldAtStart) {
            this.heldAtStart = heldAtStart;
        }
    }

    private final Map<Long, Round> open = new LinkedHashMap<>();
    private long viewId;

    /**
     * Starts a round in view {@code viewId}, confirmed by this member itself.
     *
     * @param token       the round's name, unique among open rounds
     * @param viewId      the view to confirm
     * @param myRank      this member's rank
     * @param heldAtStart total-order positions held now
     * @return false if a round of that token is already open (nothing changes)
     */
    public boolean start(long token, long viewId, int myRank, long heldAtStart) {
        if (open.containsKey(token)) {
            return false;
        }
        this.viewId = viewId;
        Round round = new Round(heldAtStart);
        round.confirmedRanks.set(myRank);
        open.put(token, round);
        return true;
    }

    /**
     * Records a confirmation.
     *
     * @param token  the round
     * @param viewId the view confirmed
     * @param rank   the confirming member
     */
    public void confirmed(long token, long viewId, int rank) {
        Round round = open.get(token);
        if (round != null && viewId == this.viewId) {
            round.confirmedRanks.set(rank);
        }
    }

    /**
     * Removes and returns the rounds that succeeded.
     *
     * @param majority  confirmations needed
     * @param delivered total-order positions delivered so far
     * @return the tokens of the rounds that succeeded, in the order they started
     */
    public List<Long> takeSucceeded(int majority, long delivered) {
        List<Long> done = new ArrayList<>();
        for (Iterator<Map.Entry<Long, Round>> it = open.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, Round> e = it.next();
            Round r = e.getValue();
            if (r.confirmedRanks.cardinality() >= majority && delivered >= r.heldAtStart) {
                done.add(e.getKey());
                it.remove();
            }
        }
        return done;
    }

    /**
     * Removes and returns every open round: they failed.
     *
     * @return their tokens
     */
    public List<Long> takeAll() {
        List<Long> all = new ArrayList<>(open.keySet());
        open.clear();
        return all;
    }

    /** @return the view of the open rounds */
    public long viewId() {
        return viewId;
    }

    /** @return whether no round is open */
    public boolean isEmpty() {
        return open.isEmpty();
    }
}
