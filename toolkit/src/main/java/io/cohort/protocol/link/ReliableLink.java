package io.cohort.protocol.link;

import io.cohort.api.MemberId;
import io.cohort.protocol.wire.FrameCodec;
import io.cohort.protocol.wire.ProtocolMessage;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * A reliable FIFO channel from this member incarnation to one peer incarnation over a network
 * that may lose, duplicate, reorder and delay frames. Outgoing messages get consecutive link
 * sequence numbers and stay buffered until the peer acknowledges them; incoming messages are
 * handed up exactly once, in order. Everything above this class can assume reliable FIFO
 * point-to-point delivery between live, eventually connected members.
 *
 * <p>Memory: the retransmission buffer holds what the peer has not acknowledged; the caller
 * drops the link when the peer leaves its view, so a dead peer cannot pin memory forever.
 */
public final class ReliableLink {

    /** How many frames past a gap are kept; later ones are dropped and come again by retransmission. */
    static final int REORDER_WINDOW = 4096;

    /** Retransmissions of one frame back off: after 1, 2, 4, then every 8 rounds. */
    static final int MAX_BACKOFF_SHIFT = 3;

    private record Outstanding(long seq, byte[] message, long sentRound, int resends) {
    }

    private final MemberId self;
    private final MemberId peer;
    private final ArrayDeque<Outstanding> unacked = new ArrayDeque<>();
    /** Bytes of the messages in {@link #unacked}. */
    private long unackedBytes;
    private final TreeMap<Long, ProtocolMessage> early = new TreeMap<>();
    private long nextOutSeq = 1;
    private long nextInSeq = 1;
    private long lastAckSent;
    private boolean ackOwed;

    /**
     * @param self this incarnation
     * @param peer the peer incarnation
     */
    public ReliableLink(MemberId self, MemberId peer) {
        this.self = self;
        this.peer = peer;
    }

    /** @return the peer incarnation */
    public MemberId peer() {
        return peer;
    }

    /**
     * Sequences a message and returns the frame to put on the wire.
     *
     * @param message encoded message
     * @param round   current retransmission round
     * @return the frame bytes
     */
    public byte[] send(byte[] message, long round) {
        long seq = nextOutSeq++;
        unacked.addLast(new Outstanding(seq, message, round, 0));
        unackedBytes += message.length;
        return frame(seq, message);
    }

    private byte[] frame(long seq, byte[] message) {
        lastAckSent = nextInSeq - 1;
        ackOwed = false;
        return FrameCodec.encodeReliable(self, peer, seq, lastAckSent, message);
    }

    /**
     * Applies the peer's cumulative acknowledgement.
     *
     * @param ack highest sequence the peer received gap-free
     */
    public void acknowledge(long ack) {
        while (!unacked.isEmpty() && unacked.peekFirst().seq() <= ack) {
            unackedBytes -= unacked.pollFirst().message().length;
        }
    }

    /**
     * Accepts an incoming frame's message.
     *
     * @param seq     its link sequence
     * @param message its message
     * @return messages now ready, in order (empty for a duplicate or a frame after a gap)
     * @throws DuplicateFrameException if the frame was already received
     */
    public List<ProtocolMessage> receive(long seq, ProtocolMessage message) throws DuplicateFrameException {
        ackOwed = true;
        if (seq < nextInSeq || early.containsKey(seq)) {
            throw new DuplicateFrameException();
        }
        if (seq > nextInSeq) {
            if (seq - nextInSeq < REORDER_WINDOW) {
                early.put(seq, message);
            }
            return List.of();
        }
        List<ProtocolMessage> ready = new ArrayList<>(1);
        ready.add(message);
        nextInSeq++;
        while (!early.isEmpty() && early.firstKey() == nextInSeq) {
            ready.add(early.pollFirstEntry().getValue());
            nextInSeq++;
        }
        return ready;
    }

    /**
     * Frames to send again: those not acknowledged for long enough. A frame waits one round
     * before its first resend, then twice as long before each next one (up to 8 rounds): over a
     * congested but working connection the acknowledgement is merely late, and resending
     * everything every round would multiply the load that made it late.
     *
     * @param round current retransmission round
     * @return frames to resend (with a fresh acknowledgement)
     */
    public List<byte[]> retransmit(long round) {
        List<byte[]> out = new ArrayList<>();
        int n = unacked.size();
        for (int i = 0; i < n; i++) {
            Outstanding o = unacked.pollFirst();
            if (round - o.sentRound() >= 1L << Math.min(o.resends(), MAX_BACKOFF_SHIFT)) {
                out.add(frame(o.seq(), o.message()));
                unacked.addLast(new Outstanding(o.seq(), o.message(), round, o.resends() + 1));
            } else {
                unacked.addLast(o);
            }
        }
        return out;
    }

    /** @return whether the peer is owed an acknowledgement that no outgoing frame carried yet */
    public boolean ackOwed() {
        return ackOwed;
    }

    /** @return a bare acknowledgement frame, clearing the debt */
    public byte[] ackFrame() {
        lastAckSent = nextInSeq - 1;
        ackOwed = false;
        return FrameCodec.encodeLinkAck(self, peer, lastAckSent);
    }

    /** @return whether frames await acknowledgement */
    public boolean hasUnacked() {
        return !unacked.isEmpty();
    }

    /** @return bytes of the messages awaiting acknowledgement (what the peer has not confirmed yet) */
    public long unackedBytes() {
        return unackedBytes;
    }

    /** @return number of frames awaiting acknowledgement */
    public int unackedCount() {
        return unacked.size();
    }

    /** Signals a frame that was already received. */
    public static final class DuplicateFrameException extends Exception {
        DuplicateFrameException() {
            super("duplicate frame", null, false, false);
        }
    }
}
