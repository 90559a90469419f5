package io.cohort.samples.kv.server;

import io.cohort.replication.ReadConsistency;
import io.cohort.replication.Replica;
import io.cohort.replication.wire.ClientRequest;
import io.cohort.replication.wire.ClientResponse;
import io.cohort.replication.wire.ResponseStatus;
import io.cohort.samples.kv.Resp;
import io.cohort.samples.kv.resp.KvService;
import java.nio.charset.StandardCharsets;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * One Redis connection's session with the local replica: a Cohort client session
 * ({@code clientId}, numbered commands) served in-process by {@link Replica#handle}.
 *
 * <p>Only commands are numbered in the session (1, 2, 3 ...), because the replicated session
 * table reads a first command numbered above 1 as coming from a session it has forgotten; queries
 * are never recorded there and get numbers of their own. A Redis connection may sit idle longer
 * than the table keeps sessions: when a command is refused as from an expired session, it cannot
 * have been applied (it is refused before anything else; a retry follows only a "not done"
 * answer), so the session starts afresh under a new id and sends it again.
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
    private final LongSupplier newClientId;
    /** Sequences of commands not yet answered: the lowest is the session's firstUnacknowledged. */
    private final TreeSet<Long> unanswered = new TreeSet<>();
    private long clientId;
    private long nextCommand = 1;
    private long nextQuery = 1;
    private volatile boolean closed;

    ReplicaSession(Replica replica, ScheduledExecutorService scheduler, ReadConsistency reads,
                   long requestTimeoutMillis, LongSupplier newClientId) {
        this.replica = replica;
        this.scheduler = scheduler;
        this.reads = reads;
        this.requestTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(requestTimeoutMillis);
        this.newClientId = newClientId;
        this.clientId = newClientId.getAsLong();
    }

    @Override
    public CompletableFuture<byte[]> command(byte[] command) {
        return send(numberCommand(command));
    }

    @Override
    public CompletableFuture<byte[]> query(byte[] query) {
        ClientRequest request;
        synchronized (this) {
            long sequence = nextQuery++;
            request = new ClientRequest(ClientRequest.Kind.QUERY, clientId, sequence, sequence, reads, query);
        }
        return send(request);
    }

    private synchronized ClientRequest numberCommand(byte[] command) {
        long sequence = nextCommand++;
        unanswered.add(sequence);
        return new ClientRequest(ClientRequest.Kind.COMMAND, clientId, sequence, unanswered.first(), reads, command);
    }

    /** The table forgot this session: start a new one (unless another command already did) and renumber. */
    private synchronized ClientRequest renumber(ClientRequest expired) {
        if (expired.clientId() == clientId) {
            clientId = newClientId.getAsLong();
            nextCommand = 1;
            unanswered.clear();
        }
        return numberCommand(expired.payload());
    }

    @Override
    public void close() {
        closed = true;
    }

    private CompletableFuture<byte[]> send(ClientRequest request) {
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
            if (response.status() == ResponseStatus.SESSION_EXPIRED && request.kind() == ClientRequest.Kind.COMMAND
                    && !closed && System.nanoTime() < deadline) {
                forget(request);
                attempt(renumber(request), reply, deadline, backoffMillis);
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
        forget(request);
        reply.complete(answer);
    }

    private synchronized void forget(ClientRequest request) {
        if (request.kind() == ClientRequest.Kind.COMMAND && request.clientId() == clientId) {
            unanswered.remove(request.sequence());
        }
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
