package io.cohort.transport;

import io.netty.channel.Channel;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything the transport keeps for one peer (by name): the connection in use, the bounded
 * queue of frames waiting for it, and the redial backoff. Guarded by its own monitor: the
 * protocol thread queues frames, the peer's event loop drains them.
 */
final class PeerLink {

    final String name;
    Channel channel;
    long incarnation;
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    private long queuedBytes;
    boolean drainScheduled;
    boolean dialing;
    long nextDialNanos;
    long backoffMillis;

    PeerLink(String name, long initialBackoffMillis) {
        this.name = name;
        this.backoffMillis = initialBackoffMillis;
    }

    /** @return false if the frame would overflow the queue (it is not queued) */
    synchronized boolean offer(byte[] frame, long limitBytes) {
        if (queuedBytes + frame.length > limitBytes) {
            return false;
        }
        queue.addLast(frame);
        queuedBytes += frame.length;
        return true;
    }

    /** Takes frames totalling at most {@code maxBytes} (always at least one, if any). */
    synchronized List<byte[]> take(int maxBytes) {
        List<byte[]> out = new ArrayList<>();
        int bytes = 0;
        while (!queue.isEmpty()) {
            byte[] next = queue.peekFirst();
            if (!out.isEmpty() && bytes + next.length + 4 > maxBytes) {
                break;
            }
            queue.pollFirst();
            queuedBytes -= next.length;
            bytes += next.length + 4;
            out.add(next);
        }
        return out;
    }

    synchronized boolean hasQueued() {
        return !queue.isEmpty();
    }

    synchronized long queuedBytes() {
        return queuedBytes;
    }

    /** Drops everything queued (the peer is gone for good). */
    synchronized void clear() {
        queue.clear();
        queuedBytes = 0;
    }
}
