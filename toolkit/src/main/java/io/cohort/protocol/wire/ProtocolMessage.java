package io.cohort.protocol.wire;

import io.cohort.api.MemberId;

/**
 * Everything members say to each other over reliable links. Each message belongs to one view:
 * a member acts on it only in that view (earlier views are stale; later ones are held back
 * until the member installs them).
 */
public sealed interface ProtocolMessage {

    /** @return the view the message belongs to */
    long viewId();

    /** Application multicasts of one sender stream, consecutive from {@code messages[0].seq}. */
    record Data(long viewId, java.util.List<MulticastMessage> messages) implements ProtocolMessage {
    }

    /** The sequencer's total-order entries from position {@code firstPosition}. */
    record Order(long viewId, long firstPosition, OrderRuns runs) implements ProtocolMessage {
    }

    /**
     * Stability report: what the sender holds, for SAFE delivery and garbage collection, and
     * whether it holds the application state yet (a joiner does once its transfer completes).
     */
    record Ack(long viewId, long totalHeld, long[] frontiers, boolean stateful) implements ProtocolMessage {
    }

    /** The sender suspects {@code target}; receivers suspect it too. */
    record Suspect(long viewId, MemberId target) implements ProtocolMessage {
    }

    /** The sender asks to leave the group cleanly. */
    record Leave(long viewId) implements ProtocolMessage {
    }

    /**
     * A member passes a join request on to the view-change leader, with the joiner's state hint
     * (opaque bytes for the donor, for example how much of the state the joiner still has).
     */
    record JoinForward(long viewId, MemberId joiner, byte[] stateHint) implements ProtocolMessage {
    }

    /** Phase 1: the leader asks members to wedge and report, under {@code ballot}. */
    record Prepare(long viewId, long ballot, long[] leaderFrontiers, long leaderOrderLength) implements ProtocolMessage {
    }

    /** Phase 1 answer: the member is wedged; here is what it holds and what the leader lacks. */
    record Promise(long viewId, long ballot, Report report, long acceptedBallot, Proposal acceptedProposal,
                   Bundle bundle) implements ProtocolMessage {
    }

    /** A ballot was refused because the member promised {@code promisedBallot}, which is higher. */
    record Nack(long viewId, long promisedBallot) implements ProtocolMessage {
    }

    /** Phase 2: the leader asks members to accept a proposal, sending what they lack of its cut. */
    record Accept(long viewId, long ballot, Proposal proposal, Bundle bundle) implements ProtocolMessage {
    }

    /** Phase 2 answer: the member accepted the proposal of {@code ballot} and holds its whole cut. */
    record Accepted(long viewId, long ballot) implements ProtocolMessage {
    }

    /** The proposal was chosen by a majority of the old view: deliver the cut and install. */
    record Commit(long viewId, Proposal proposal) implements ProtocolMessage {
    }

    /** Asks for the messages of view {@code viewId} beyond what the sender holds. */
    record Fetch(long viewId, long[] frontiers, long orderLength) implements ProtocolMessage {
    }

    /** Answer to {@link Fetch}. */
    record Fetched(long viewId, Bundle bundle) implements ProtocolMessage {
    }

    /** A piece of the state a donor streams to a joiner of view {@code viewId}. */
    record StateChunk(long viewId, long offset, byte[] bytes, boolean last) implements ProtocolMessage {
    }

    /**
     * A member asks whether {@code viewId} is still the current view: the freshness proof of a
     * linearizable read, without a log write. {@code token} names the asker's confirmation round.
     */
    record ConfirmView(long viewId, long token) implements ProtocolMessage {
    }

    /**
     * Answer to {@link ConfirmView}: when it was sent, the sender was in {@code viewId} and had not
     * wedged for a next view (had promised no ballot), so no later view could have been committed
     * without it.
     */
    record ViewConfirmed(long viewId, long token) implements ProtocolMessage {
    }
}
