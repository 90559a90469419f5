package io.cohort.client;

import io.cohort.replication.wire.ClientRequest;

import java.util.Collection;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The client's unfinished requests, by sequence, and the numbering of new ones.
 *
 * <p>Sequence allocation and the {@code firstUnacknowledged} it reports happen under one lock, with
 * the new command entered in the outstanding set before the lock is released. Otherwise a command
 * numbered later could report a {@code firstUnacknowledged} above an earlier command that is not
 * registered yet, and the replicas could forget that earlier command's result while it may still
 * be retried. Queries share the numbering but never enter the outstanding set: a slow query must
 * not hold back what the replicas may forget.
 */
final class PendingTable {

    /**
     * A freshly allocated number.
     *
     * @param sequence            the request's sequence
     * @param firstUnacknowledged the lowest command sequence outstanding (this one included)
     */
    record Slot(long sequence, long firstUnacknowledged) {
    }

    private final ConcurrentSkipListMap<Long, PendingRequest> bySequence = new ConcurrentSkipListMap<>();
    /** Sequences of commands allocated and not finished. Guarded by {@code this}. */
    private final TreeSet<Long> commands = new TreeSet<>();
    /** Guarded by {@code this}. */
    private long lastSequence;

    /**
     * Numbers a new request.
     *
     * @param kind command or query
     * @return its sequence and the {@code firstUnacknowledged} to send with it
     */
    synchronized Slot allocate(ClientRequest.Kind kind) {
        long sequence = ++lastSequence;
        long first = commands.isEmpty() ? sequence : Math.min(commands.first(), sequence);
        if (kind == ClientRequest.Kind.COMMAND) {
            commands.add(sequence);
        }
        return new Slot(sequence, first);
    }

    /**
     * Gives back a number whose request was never added (it could not be encoded).
     *
     * @param sequence the sequence
     */
    synchronized void release(long sequence) {
        commands.remove(sequence);
    }

    /** @param request a request numbered by {@link #allocate} */
    void add(PendingRequest request) {
        bySequence.put(request.sequence, request);
    }

    /**
     * @param sequence a sequence
     * @return the unfinished request with that sequence, or null
     */
    PendingRequest get(long sequence) {
        return bySequence.get(sequence);
    }

    /**
     * Removes a request; exactly one caller wins, and only the winner completes its future.
     *
     * @param request the request
     * @return whether this call removed it
     */
    boolean remove(PendingRequest request) {
        if (!bySequence.remove(request.sequence, request)) {
            return false;
        }
        if (request.kind == ClientRequest.Kind.COMMAND) {
            release(request.sequence);
        }
        return true;
    }

    /** @return the unfinished requests in sequence order (a weakly consistent view) */
    Collection<PendingRequest> inOrder() {
        return bySequence.values();
    }

    /** @return whether nothing is unfinished */
    boolean isEmpty() {
        return bySequence.isEmpty();
    }
}
