package io.cohort.protocol;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;
import io.cohort.api.MulticastOutcome;
import io.cohort.api.View;

/**
 * What the protocol core asks its driver to do. The core never performs I/O: after feeding it
 * events, the driver takes the effects with {@link GroupMember#takeEffects()} and carries them out
 * in order. Order matters: deliveries of a view come before the next {@link ViewInstalled}, and a
 * {@link SnapshotRequested} comes exactly at the point the joiner's state must reflect.
 */
public sealed interface Effect {

    /** Send {@code frame} to the member incarnation {@code to}. Loss is tolerated; the core retransmits. */
    record Send(MemberId to, byte[] frame) implements Effect {
    }

    /** Send {@code frame} to every configured seed address (join requests: the joiner knows no incarnations yet). */
    record SendToSeeds(byte[] frame) implements Effect {
    }

    /**
     * Deliver a multicast to the application.
     *
     * @param localId the sender's handle when this member sent it, else -1
     */
    record Deliver(MemberId sender, long viewId, DeliveryOrder order, byte[] payload, long localId) implements Effect {
    }

    /** An own multicast was given to view {@code viewId}: it is sent, and can only be delivered in that view. */
    record Sent(long localId, long viewId, DeliveryOrder order) implements Effect {
    }

    /** A new view is installed: the application may act on it (for a joiner: its state is in place). */
    record ViewInstalled(View view) implements Effect {
    }

    /** The member stopped sending and delivering in view {@code viewId} while the group agrees on the next view. */
    record Wedged(long viewId) implements Effect {
    }

    /**
     * Donor: take a snapshot of the application state now, exactly here in the effect sequence,
     * and stream it with {@link GroupMember#sendStateChunk}. {@code joinerHint} is what the joiner
     * passed to {@link GroupMember#join(byte[])} (empty if nothing), for example how much of the
     * state it still holds, so that the donor can send less.
     */
    record SnapshotRequested(MemberId joiner, long viewId, byte[] joinerHint) implements Effect {
    }

    /** Joiner: the next piece of the state for view {@code viewId}; offset 0 starts a new state. */
    record StateChunkReceived(long viewId, long offset, byte[] bytes, boolean last) implements Effect {
    }

    /** An own multicast will not be seen delivered here. */
    record MulticastAborted(long localId, MulticastOutcome outcome) implements Effect {
    }

    /** The group excluded this incarnation; it does nothing more. Rejoin as {@link MemberId#nextIncarnation()}. */
    record Excluded(long lastViewId) implements Effect {
    }

    /** This incarnation left the group cleanly; it does nothing more. */
    record Left(long lastViewId) implements Effect {
    }

    /** Call {@link GroupMember#timerFired} with {@code timer} after {@code delayMillis}. */
    record SetTimer(TimerKind timer, long delayMillis) implements Effect {
    }

    /**
     * The confirmation round {@code token} succeeded: a majority of view {@code viewId} confirmed it
     * was still current after the round began, and every total-order message this member held when
     * the round began has been delivered (the deliveries come before this effect). A read answered
     * from the state right here is linearizable.
     */
    record ViewConfirmed(long token, long viewId) implements Effect {
    }

    /**
     * The confirmation round {@code token} cannot succeed here: this member wedged, changed view,
     * left or was excluded, or holds no state yet. The read should be retried (elsewhere).
     */
    record ViewConfirmFailed(long token) implements Effect {
    }
}
