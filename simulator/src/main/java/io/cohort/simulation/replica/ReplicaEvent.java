package io.cohort.simulation.replica;

import io.cohort.api.MemberId;
import io.cohort.replication.ReadConsistency;
import io.cohort.replication.wire.ResponseStatus;

import java.util.List;

/**
 * One fact of a simulated replica run, as the checks see it. Replicas are named by incarnation
 * ({@code a#2}): each incarnation has its own state machine and applied log. Events carry no byte
 * arrays, so their text form is stable and the history digest is a function of the seed.
 */
public sealed interface ReplicaEvent {

    /**
     * A replica incarnation installed a view.
     *
     * @param replica the incarnation
     * @param viewId  the view
     * @param members its members in rank order
     */
    record ViewInstalled(MemberId replica, long viewId, List<MemberId> members) implements ReplicaEvent {
        /** Copies the member list. */
        public ViewInstalled {
            members = List.copyOf(members);
        }
    }

    /**
     * A replica incarnation's state is in place: empty at bootstrap ({@code donor} null, index 0),
     * or restored from {@code donor}'s snapshot at applied index {@code index}.
     *
     * @param replica the incarnation
     * @param donor   the incarnation whose snapshot it restored, or null at bootstrap
     * @param index   the applied index of the state
     */
    record StateInPlace(MemberId replica, MemberId donor, long index) implements ReplicaEvent {
    }

    /**
     * A replica applied a client command (or, in primary-backup, an update), taking applied index
     * {@code index}.
     *
     * @param replica     the incarnation
     * @param index       the applied index it took
     * @param clientId    the client session
     * @param sequence    the command's number in it
     * @param speculative applied by a primary ahead of its delivery (primary-backup); only counts
     *                    as the group's once {@link Confirmed}, or once passed on in a snapshot
     */
    record Applied(MemberId replica, long index, long clientId, long sequence, boolean speculative)
            implements ReplicaEvent {
    }

    /**
     * A primary's speculatively applied update came back delivered: it is the group's now.
     *
     * @param replica  the primary incarnation
     * @param clientId the client session
     * @param sequence the command's number
     */
    record Confirmed(MemberId replica, long clientId, long sequence) implements ReplicaEvent {
    }

    /**
     * A replica took its state hash right after applying index {@code index}.
     *
     * @param replica the incarnation
     * @param index   the applied index
     * @param hash    the hash
     */
    record Hashed(MemberId replica, long index, long hash) implements ReplicaEvent {
    }

    /**
     * A replica incarnation ended: crashed, excluded or left. It applies nothing more.
     *
     * @param replica the incarnation
     * @param reason  why
     */
    record Stopped(MemberId replica, String reason) implements ReplicaEvent {
    }

    /**
     * The replica core reported that this replica's hash differs from the one a majority agreed on.
     *
     * @param replica    the incarnation
     * @param index      the applied index compared
     * @param ownHash    its hash
     * @param agreedHash the majority's
     */
    record Divergent(MemberId replica, long index, long ownHash, long agreedHash) implements ReplicaEvent {
    }

    /**
     * A client received OK for a command (the first answer it accepted).
     *
     * @param clientId     the client session
     * @param sequence     the command's number
     * @param replica      the incarnation that answered
     * @param appliedIndex that replica's applied index when it answered
     */
    record Acknowledged(long clientId, long sequence, MemberId replica, long appliedIndex) implements ReplicaEvent {
    }

    /**
     * A client invoked a query (its first attempt).
     *
     * @param clientId    the client session
     * @param readNumber  the client's count of queries
     * @param consistency what it asked for
     */
    record ReadInvoked(long clientId, long readNumber, ReadConsistency consistency) implements ReplicaEvent {
    }

    /**
     * A client received OK for a query.
     *
     * @param clientId     the client session
     * @param readNumber   which query
     * @param replica      the incarnation that answered
     * @param appliedIndex that replica's applied index when it answered
     */
    record ReadAnswered(long clientId, long readNumber, MemberId replica, long appliedIndex) implements ReplicaEvent {
    }

    /**
     * A client received an answer it should never get for an outstanding command (for example
     * "already acknowledged" for a command it was never answered for, or an expired session).
     *
     * @param clientId the client session
     * @param sequence the command's number
     * @param status   the answer's status
     * @param detail   the answer's explanation
     */
    record UnexpectedAnswer(long clientId, long sequence, ResponseStatus status, String detail)
            implements ReplicaEvent {
    }

    /**
     * A user invariant did not hold at a replica.
     *
     * @param replica   the incarnation
     * @param invariant the invariant's name
     * @param index     the replica's applied index at the time
     * @param detail    when it was checked and what went wrong
     */
    record InvariantBroken(MemberId replica, String invariant, long index, String detail) implements ReplicaEvent {
    }

    /**
     * The nemesis did something (for the trace and the fault counts).
     *
     * @param kind        crash, restart, partition, isolation, heal, leave, join, rejoin
     * @param description what exactly
     */
    record Fault(String kind, String description) implements ReplicaEvent {
    }

    /**
     * A live replica's state at the end of the run.
     *
     * @param replica      the incarnation
     * @param viewId       its view
     * @param appliedIndex its applied index
     * @param hash         its state hash
     */
    record FinalState(MemberId replica, long viewId, long appliedIndex, long hash) implements ReplicaEvent {
    }

    /**
     * A client operation still unanswered at the end of the run.
     *
     * @param clientId    the client session
     * @param operation   what it is
     * @param attempts    how many times it was sent
     * @param sinceMillis simulated time it was invoked
     */
    record Outstanding(long clientId, String operation, int attempts, long sinceMillis) implements ReplicaEvent {
    }

    /**
     * The group had not settled (every replica back, in one view, at one applied index) when the
     * run ended.
     *
     * @param detail each replica's status
     */
    record NotSettled(String detail) implements ReplicaEvent {
    }

    /**
     * The run itself failed: user code threw where it must not (snapshot, executor setup) or the
     * simulation broke.
     *
     * @param detail the exception
     */
    record RunError(String detail) implements ReplicaEvent {
    }
}
