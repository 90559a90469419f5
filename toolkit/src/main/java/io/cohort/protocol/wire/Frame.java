package io.cohort.protocol.wire;

import io.cohort.api.MemberId;

/**
 * A decoded frame between two member incarnations.
 *
 * @param kind    what the frame is
 * @param from    sender incarnation
 * @param to      intended receiver incarnation
 * @param linkSeq reliable-link sequence number ({@link Kind#RELIABLE} only)
 * @param linkAck highest link sequence the sender received from {@code to}, gap-free ({@link Kind#RELIABLE} and {@link Kind#LINK_ACK})
 * @param message the protocol message ({@link Kind#RELIABLE} only, otherwise null)
 * @param viewId  the sender's view id ({@link Kind#EXCLUDED_NOTICE} only)
 * @param stateHint the joiner's state hint ({@link Kind#JOIN_REQUEST} only, otherwise empty)
 */
public record Frame(Kind kind, MemberId from, MemberId to, long linkSeq, long linkAck, ProtocolMessage message,
                    long viewId, byte[] stateHint) {

    private static final byte[] NO_HINT = new byte[0];

    /** A frame that carries no state hint. */
    public Frame(Kind kind, MemberId from, MemberId to, long linkSeq, long linkAck, ProtocolMessage message, long viewId) {
        this(kind, from, to, linkSeq, linkAck, message, viewId, NO_HINT);
    }

    /** Frame kinds. Only RELIABLE frames are sequenced and retransmitted. */
    public enum Kind {
        /** A protocol message on the sender's reliable FIFO link to the receiver. */
        RELIABLE,
        /** A bare link acknowledgement. */
        LINK_ACK,
        /** A process asks to join; retried by the joiner until it is in a view. */
        JOIN_REQUEST,
        /** The receiver is no longer a member: it was excluded (or left) before view {@code viewId}. */
        EXCLUDED_NOTICE
    }
}
