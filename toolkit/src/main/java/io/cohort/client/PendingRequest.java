package io.cohort.client;

import io.cohort.replication.wire.ClientRequest;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/**
 * One request the client has not finished: its encoded frame (resent byte for byte after a
 * failover, which is what lets the replicas recognise it), the caller's future and its timers.
 */
final class PendingRequest {

    /** {@link #sentOn} before the first send. */
    static final long NEVER_SENT = -1;

    final ClientRequest.Kind kind;
    final long sequence;
    final byte[] frame;
    final long startNanos;
    final CompletableFuture<byte[]> future = new CompletableFuture<>();
    /** Fails the request when the overall timeout elapses. */
    volatile ScheduledFuture<?> overallTimer;
    /** Fails over when the current attempt gets no answer in time. */
    volatile ScheduledFuture<?> attemptTimer;
    /** The connection (its number) the frame was last written to; touched on the event loop only. */
    long sentOn = NEVER_SENT;

    PendingRequest(ClientRequest.Kind kind, long sequence, byte[] frame, long startNanos) {
        this.kind = kind;
        this.sequence = sequence;
        this.frame = frame;
        this.startNanos = startNanos;
    }

    void cancelTimers() {
        ScheduledFuture<?> t = overallTimer;
        if (t != null) {
            t.cancel(false);
        }
        t = attemptTimer;
        if (t != null) {
            t.cancel(false);
        }
    }
}
