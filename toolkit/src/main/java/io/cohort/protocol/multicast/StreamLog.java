package io.cohort.protocol.multicast;

import io.cohort.protocol.wire.MulticastMessage;

/**
 * The retained messages of one sender stream in one view: a gap-free window of sequence numbers
 * {@code (discarded, received]}, backed by a ring buffer so that appending and discarding the
 * oldest are O(1) and steady state allocates nothing but the messages themselves.
 */
final class StreamLog {

    private MulticastMessage[] ring = new MulticastMessage[16];
    private int head;
    /** Highest sequence number discarded by garbage collection; the window starts after it. */
    private long discarded;
    /** Highest sequence number held, gap-free from 1. */
    private long received;
    /** Highest sequence number delivered locally. */
    long delivered;

    long received() {
        return received;
    }

    long discarded() {
        return discarded;
    }

    void append(MulticastMessage m) {
        int size = (int) (received - discarded);
        if (size == ring.length) {
            MulticastMessage[] bigger = new MulticastMessage[ring.length * 2];
            for (int i = 0; i < size; i++) {
                bigger[i] = ring[(head + i) & (ring.length - 1)];
            }
            ring = bigger;
            head = 0;
        }
        ring[(head + size) & (ring.length - 1)] = m;
        received++;
    }

    /**
     * @param seq a sequence number in {@code (discarded, received]}
     * @return the message
     */
    MulticastMessage get(long seq) {
        return ring[(head + (int) (seq - discarded - 1)) & (ring.length - 1)];
    }

    boolean holds(long seq) {
        return seq > discarded && seq <= received;
    }

    /** Discards messages up to {@code seq} (bounded by what is held). */
    void discardThrough(long seq) {
        long upTo = Math.min(seq, received);
        while (discarded < upTo) {
            ring[head] = null;
            head = (head + 1) & (ring.length - 1);
            discarded++;
        }
    }

    int retained() {
        return (int) (received - discarded);
    }
}
