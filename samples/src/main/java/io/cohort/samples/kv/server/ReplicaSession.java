package io.cohort.samples.kv.server;

import io.cohort.replication.ReadConsistency;
import io.cohort.replication.Replica;
import io.cohort.replication.wire.ClientRequest;
import io.cohort.replication.wire.ClientResponse;
import io.cohort.samples.kv.Resp;
import io.cohort.samples.kv.resp.KvService;
import java.nio.charset.StandardCharsets;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One Redis connection's session with the local replica: a Cohort client session
 * ({@code clientId}, numbered requests) served in-process by {@link Replica#handle}.
 *
 * <p>Answers that say "not done, try again" (the replica is joining, changing views, or cannot
 * prove a read fresh) are retried here, at the same replica, with the same request number, so
 * the replicated session table applies a command at most once however often it is sent. Only
 * when that keeps failing for {@code requestTimeoutMillis} does the client get
 * {@code -TRYAGAIN}, and then the command was not applied.
 */
final class ReplicaSession implements KvService.Session {

    private static final long FIRST_BACKOFF_MILLIS = 10;
    private static final long MAX_BACKOFF_MILLIS = 500;

    private final Replica replica;
    private final ScheduledExecutorService scheduler;
    private final ReadConsistency reads;
    private final long requestTimeoutNanos;
    private final long clientId;
    /** Sequences of requests not yet answered: the lowest is the session's firstUnacknowledged. */
    private final TreeSet<Long> unanswered = new TreeSet<>();
    private long nextSequence = 1;
    private volatile boolean closed;

    ReplicaSession(Replica replica, ScheduledExecutorService scheduler, ReadConsistency reads,
                   long requestTimeoutMillis, long clientId) {
        this.replica = replica;
        this.scheduler = scheduler;
        this.reads = reads;
        this.requestTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(requestTimeoutMillis);
        this.clientId = clientId;
    }

    @Override
    public CompletableFuture<byte[]> command(byte[] command) {
        return send(ClientRequest.Kind.COMMAND, command);
    }

    @Override
    public CompletableFuture<byte[]> query(byte[] query) {
        return send(ClientRequest.Kind.QUERY, query);
    }

    @Override
    public void close() {
        closed = true;
    }

    private CompletableFuture<byte[]> send(ClientRequest.Kind kind, byte[] payload) {
        ClientRequest request;
        synchronized (this) {
            long sequence = nextSequence++;
            unanswered.add(sequence);
            request = new ClientRequest(kind, clientId, sequence, unanswered.first(), reads, payload);
        }
        CompletableFuture<byte[]> reply = new CompletableFuture<>();
        attempt(request, reply, System.nanoTime() + requestTimeoutNanos, FIRST_BACKOFF_MILLIS);
        return reply;
    }

    private void attempt(ClientRequest request, CompletableFuture<byte[]> reply, long deadline, long backoffMillis) {
        replica.handle(request).whenComplete((response, failure) -> {
            if (failure != null) {
                finish(request, reply, Resp.error("ERR internal error: " + Resp.printable(failure.toString())));
                return;
            }
            if (response.status().retriable() && !closed && System.nanoTime() < deadline) {
                try {
                    scheduler.schedule(() -> attempt(request, reply, deadline, Math.min(backoffMillis * 2,
                            MAX_BACKOFF_MILLIS)), backoffMillis, TimeUnit.MILLISECONDS);
                } catch (RejectedExecutionException stopping) {
                    finish(request, reply, toReply(response));
                }
                return;
            }
            finish(request, reply, toReply(response));
        });
    }

    private void finish(ClientRequest request, CompletableFuture<byte[]> reply, byte[] answer) {
        synchronized (this) {
            unanswered.remove(request.sequence());
        }
        reply.complete(answer);
    }

    /** The RESP reply for a replica's response: its payload when OK, else an error line saying why. */
    static byte[] toReply(ClientResponse response) {
        String reason = Resp.printable(new String(response.payload(), StandardCharsets.UTF_8));
        return switch (response.status()) {
            case OK -> response.payload();
            case RETRY, UNAVAILABLE -> Resp.error("TRYAGAIN not done: this replica is not serving the primary view ("
                    + reason + "); retry, here or at another replica");
            case SESSION_EXPIRED -> Resp.error("ERR session expired: " + reason);
            case REJECTED -> Resp.error("ERR rejected: " + reason);
            case APPLICATION_ERROR -> Resp.error("ERR " + reason);
        };
    }
}
