package io.cohort.replication.core;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;

/**
 * What a {@link ReplicaCore} needs from whoever drives it: the group (real or simulated) and a
 * clock. Every call comes from the replica's apply thread.
 */
public interface ReplicaOutput {

    /**
     * Multicasts an entry to the group. Never blocks for long; a multicast that cannot be sent
     * because this member leaves the group needs no report (the core is told of the exit).
     *
     * @param order   FIFO for requests and hash reports, SAFE for commands and updates
     * @param payload the encoded entry
     */
    void multicast(DeliveryOrder order, byte[] payload);

    /**
     * Starts a round proving the view current; answer later with {@link ReplicaCore#onViewConfirmed}
     * or {@link ReplicaCore#onViewNotConfirmed}, in order with the deliveries.
     *
     * @param token the round
     */
    void confirmView(long token);

    /**
     * This replica's state differs from the state a majority of the view agreed on at
     * {@code index}. The driver decides what to do (log, count, leave and re-sync).
     *
     * @param index      the applied index compared
     * @param ownHash    this replica's hash
     * @param agreedHash the majority's hash
     */
    void divergent(long index, long ownHash, long agreedHash);

    /**
     * This replica's state can no longer be trusted (it holds updates applied ahead of a delivery
     * that the group dropped): leave the group and rejoin as a new incarnation, which receives
     * the state afresh. Until then the core answers nothing from that state.
     *
     * @param reason why, for the log
     */
    void resync(String reason);

    /** @return the driver's clock in milliseconds; only recorded into entries, never read by the state machine */
    long nowMillis();

    /**
     * A command or update was delivered and takes log sequence {@code sequence}; called before it
     * is applied. A durable driver appends it to its command log here (write-ahead); the default
     * keeps nothing.
     *
     * @param sequence the entry's log sequence (1, 2, 3, ... at every replica alike)
     * @param viewId   the view it was delivered in
     * @param sender   the member that multicast it
     * @param payload  the encoded entry
     */
    default void append(long sequence, long viewId, MemberId sender, byte[] payload) {
    }

    /** @return the largest encoded entry {@link #multicast} accepts; an executor's update beyond it fails the request */
    default int maxEntryBytes() {
        return Integer.MAX_VALUE;
    }
}
