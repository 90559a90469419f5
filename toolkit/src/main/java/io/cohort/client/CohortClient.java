package io.cohort.client;

import io.cohort.replication.ReadConsistency;
import io.cohort.replication.wire.ClientFrameCodec;
import io.cohort.replication.wire.ClientRequest;
import io.cohort.replication.wire.ClientResponse;
import io.cohort.replication.wire.ResponseStatus;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The Java client of a Cohort replicated service, with exactly-once commands across failover.
 *
 * <p>The client numbers its requests 1, 2, 3... under one random client id, and talks to one
 * replica at a time. When that replica is lost (connection closed or refused), answers
 * {@link ResponseStatus#RETRY} or {@link ResponseStatus#UNAVAILABLE}, or does not answer a request
 * within {@code requestTimeout}, the client moves to the next replica (round robin, with a backoff
 * once every replica failed) and resends every unfinished request with the <em>same</em> client id
 * and sequence: the replicated session table then applies each command once, however many
 * replicas saw it. Each command also carries {@code firstUnacknowledged}, the lowest command
 * sequence the client still waits for, which lets the replicas forget older results.
 *
 * <p>Other statuses are final: {@code OK} completes the future with the result; {@code SESSION_EXPIRED},
 * {@code REJECTED} and {@code APPLICATION_ERROR} fail it with a {@link CohortClientException}
 * carrying the status and the replica's explanation. A request unfinished after
 * {@code overallTimeout} fails with a {@link CohortClientException} whose status is null.
 *
 * <p>Thread safety: every method may be called from any thread. Futures are completed on the
 * client's own callback thread ({@code cohort-client-callbacks}), never on its I/O thread, so a
 * slow callback delays other callbacks but never the network; do not block in a callback (the
 * blocking methods refuse to run there, as they would wait forever).
 *
 * <p>Meters: {@code cohort.client.failovers}, {@code cohort.client.retries} and
 * {@code cohort.client.request.latency} (a timer tagged {@code kind} = command|query, recorded for
 * requests that got a final answer from a replica).
 */
public final class CohortClient implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CohortClient.class);

    private final long clientId;
    private final Duration requestTimeout;
    private final Duration overallTimeout;
    private final int maxFrameBytes;
    private final EndpointRotation endpoints;
    private final PendingTable table = new PendingTable();
    private final ClientMetrics metrics;
    private final EventLoopGroup group;
    /** The one thread that owns the connection state below; timers run here too. */
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final ExecutorService callbacks;
    private volatile Thread callbackThread;
    /** Requests submitted since the event loop last looked; lets one task send (and flush) many. */
    private final Queue<PendingRequest> toSend = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean sendScheduled = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile InetSocketAddress currentEndpoint;

    // Event loop only.
    /** The connection in use or being opened; null when there is none. */
    private Channel channel;
    private boolean connected;
    /** Numbers connections: a timer or event of an older connection is recognised and ignored. */
    private long connection;
    private ScheduledFuture<?> redial;

    private CohortClient(Builder b) {
        this.clientId = b.clientId != null ? b.clientId : randomClientId();
        this.requestTimeout = b.requestTimeout;
        this.overallTimeout = b.overallTimeout;
        this.maxFrameBytes = b.maxFrameBytes;
        List<InetSocketAddress> order = new ArrayList<>(b.endpoints);
        if (b.shuffleEndpoints) {
            // Spreads the clients of a service over its replicas.
            Collections.shuffle(order, ThreadLocalRandom.current());
        }
        this.endpoints = new EndpointRotation(order);
        this.currentEndpoint = endpoints.current();
        this.metrics = new ClientMetrics(b.registry);
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("cohort-client-io", true),
                NioIoHandler.newFactory());
        this.loop = group.next();
        this.callbacks = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cohort-client-callbacks");
            t.setDaemon(true);
            callbackThread = t;
            return t;
        });
        ResponseReader.Listener listener = new ResponseReader.Listener() {
            @Override
            public void response(Channel ch, ClientResponse response) {
                onResponse(ch, response);
            }

            @Override
            public void lost(Channel ch, String reason) {
                onLost(ch, reason);
            }
        };
        int frames = maxFrameBytes;
        this.bootstrap = new Bootstrap().group(loop).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(requestTimeout.toMillis(), Integer.MAX_VALUE))
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("frames", new LengthFieldBasedFrameDecoder(frames, 0,
                                ClientFrameCodec.LENGTH_BYTES, 0, ClientFrameCodec.LENGTH_BYTES, true));
                        ch.pipeline().addLast("responses", new ResponseReader(listener, frames));
                    }
                });
    }

    private static long randomClientId() {
        SecureRandom random = new SecureRandom();
        long id;
        do {
            id = random.nextLong();
        } while (id == 0);
        return id;
    }

    /** @return a builder; {@link Builder#endpoints} is required */
    public static Builder builder() {
        return new Builder();
    }

    // =====================================================================================
    // API
    // =====================================================================================

    /**
     * Sends a command, to be applied exactly once by the replicated state machine.
     *
     * @param command the command bytes (copied: the array may be reused once this returns)
     * @return the state machine's result; fails with {@link CohortClientException}
     */
    public CompletableFuture<byte[]> submit(byte[] command) {
        return send(ClientRequest.Kind.COMMAND, ReadConsistency.LINEARIZABLE, command);
    }

    /**
     * Sends a command and waits for its result.
     *
     * @param command the command bytes
     * @return the state machine's result
     * @throws CohortClientException if the command failed, timed out, or the client was closed
     */
    public byte[] execute(byte[] command) {
        refuseOwnThreads();
        return await(submit(command));
    }

    /**
     * Sends a read-only query.
     *
     * @param query       the query bytes (copied)
     * @param consistency how fresh the answer must be
     * @return the answer; fails with {@link CohortClientException}
     */
    public CompletableFuture<byte[]> query(byte[] query, ReadConsistency consistency) {
        return send(ClientRequest.Kind.QUERY, Objects.requireNonNull(consistency, "consistency"), query);
    }

    /**
     * Sends a read-only query and waits for the answer.
     *
     * @param query       the query bytes
     * @param consistency how fresh the answer must be
     * @return the answer
     * @throws CohortClientException if the query failed, timed out, or the client was closed
     */
    public byte[] read(byte[] query, ReadConsistency consistency) {
        refuseOwnThreads();
        return await(query(query, consistency));
    }

    /** @return this client's session id, sent with every request */
    public long clientId() {
        return clientId;
    }

    /** @return the replica the client uses, or will dial next */
    public InetSocketAddress currentEndpoint() {
        return currentEndpoint;
    }

    /**
     * Fails every unfinished request with a {@link CohortClientException} (status null), closes the
     * connection and stops the client's threads. Requests submitted afterwards fail at once.
     * Returns once the futures are completed, unless called from a callback. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (PendingRequest p : table.inOrder()) {
            finish(p, null, closedException());
        }
        boolean onOwnThread = loop.inEventLoop() || Thread.currentThread() == callbackThread;
        var terminated = group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        callbacks.shutdown();
        if (!onOwnThread) {
            terminated.awaitUninterruptibly(5, TimeUnit.SECONDS);
            try {
                callbacks.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // =====================================================================================
    // Submission (any thread)
    // =====================================================================================

    private CompletableFuture<byte[]> send(ClientRequest.Kind kind, ReadConsistency consistency, byte[] payload) {
        Objects.requireNonNull(payload, "payload");
        if (closed.get()) {
            return CompletableFuture.failedFuture(closedException());
        }
        PendingTable.Slot slot = table.allocate(kind);
        byte[] frame;
        try {
            // Encoded once: every resend carries the very same bytes, hence the same (clientId, sequence).
            frame = ClientFrameCodec.encodeRequest(new ClientRequest(kind, clientId, slot.sequence(),
                    slot.firstUnacknowledged(), consistency, payload), maxFrameBytes);
        } catch (IllegalArgumentException e) {
            table.release(slot.sequence());
            return CompletableFuture.failedFuture(new CohortClientException(ResponseStatus.REJECTED, e.getMessage()));
        }
        PendingRequest p = new PendingRequest(kind, slot.sequence(), frame, System.nanoTime());
        table.add(p);
        // close() may have drained the table between the check above and add(): look again.
        if (closed.get()) {
            finish(p, null, closedException());
            return p.future;
        }
        try {
            p.overallTimer = loop.schedule(() -> finish(p, null, new CohortClientException(null,
                    kind.name().toLowerCase(java.util.Locale.ROOT) + " #" + p.sequence + " timed out after "
                            + overallTimeout)), overallTimeout.toNanos(), TimeUnit.NANOSECONDS);
            toSend.add(p);
            if (sendScheduled.compareAndSet(false, true)) {
                loop.execute(this::sendQueued);
            }
        } catch (RejectedExecutionException e) {
            finish(p, null, closedException());
        }
        return p.future;
    }

    /**
     * Completes a request, once: whoever removes it from the table (response, timeout, close)
     * completes it, on the callback thread.
     */
    private void finish(PendingRequest p, ClientResponse response, CohortClientException failure) {
        if (!table.remove(p)) {
            return;
        }
        p.cancelTimers();
        Runnable completion;
        if (response == null) {
            completion = () -> p.future.completeExceptionally(failure);
        } else {
            metrics.latency(p.kind, System.nanoTime() - p.startNanos);
            if (response.status() == ResponseStatus.OK) {
                completion = () -> p.future.complete(response.payload());
            } else {
                CohortClientException e = new CohortClientException(response.status(),
                        new String(response.payload(), StandardCharsets.UTF_8));
                completion = () -> p.future.completeExceptionally(e);
            }
        }
        try {
            callbacks.execute(completion);
        } catch (RejectedExecutionException e) {
            // Closed: no callback thread any more; complete here rather than never.
            completion.run();
        }
    }

    /** Blocking on a thread that completes the futures would wait forever: refused before sending. */
    private void refuseOwnThreads() {
        if (Thread.currentThread() == callbackThread || loop.inEventLoop()) {
            throw new IllegalStateException("a blocking call on the client's own thread would wait for itself;"
                    + " use submit() or query() and chain on the future");
        }
    }

    private byte[] await(CompletableFuture<byte[]> future) {
        try {
            // The overall timer completes every future; the margin only guards against a bug.
            return future.get(overallTimeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CohortClientException(null, "interrupted while waiting", e);
        } catch (TimeoutException e) {
            throw new CohortClientException(null, "timed out after " + overallTimeout, e);
        } catch (ExecutionException e) {
            // A fresh exception, so that its stack trace shows the caller.
            Throwable cause = e.getCause();
            if (cause instanceof CohortClientException c) {
                throw new CohortClientException(c.status(), c.getMessage(), c);
            }
            throw new CohortClientException(null, String.valueOf(cause), cause);
        }
    }

    private static CohortClientException closedException() {
        return new CohortClientException(null, "client closed");
    }

    // =====================================================================================
    // Connection (event loop)
    // =====================================================================================

    /** Sends what was submitted since the last run, with one flush. */
    private void sendQueued() {
        sendScheduled.set(false);
        boolean wrote = false;
        for (PendingRequest p; (p = toSend.poll()) != null; ) {
            // Without a connection the request waits in the table: connecting sends everything there.
            if (connected) {
                wrote |= write(p);
            }
        }
        if (wrote) {
            channel.flush();
        }
        ensureConnection();
    }

    /** Writes one request to the current connection unless it is finished or already there. */
    private boolean write(PendingRequest p) {
        if (table.get(p.sequence) != p || p.sentOn == connection) {
            return false;
        }
        if (p.sentOn != PendingRequest.NEVER_SENT) {
            metrics.retry();
        }
        p.sentOn = connection;
        channel.write(Unpooled.wrappedBuffer(p.frame), channel.voidPromise());
        ScheduledFuture<?> old = p.attemptTimer;
        if (old != null) {
            old.cancel(false);
        }
        long conn = connection;
        p.attemptTimer = loop.schedule(() -> attemptExpired(p, conn), requestTimeout.toNanos(), TimeUnit.NANOSECONDS);
        return true;
    }

    /** Dials the current endpoint if there is work, no connection, and no backoff running. */
    private void ensureConnection() {
        if (closed.get() || channel != null || redial != null || table.isEmpty()) {
            return;
        }
        long conn = ++connection;
        InetSocketAddress endpoint = endpoints.current();
        currentEndpoint = endpoint;
        connected = false;
        ChannelFuture f = bootstrap.connect(endpoint);
        channel = f.channel();
        f.addListener((ChannelFuture done) -> connectDone(done, conn, endpoint));
    }

    private void connectDone(ChannelFuture done, long conn, InetSocketAddress endpoint) {
        if (conn != connection || closed.get()) {
            done.channel().close();
            return;
        }
        if (!done.isSuccess()) {
            failover("cannot connect to " + endpoint + ": " + done.cause().getMessage());
            return;
        }
        connected = true;
        LOG.debug("client {}: connected to {}", clientId, endpoint);
        boolean wrote = false;
        for (PendingRequest p : table.inOrder()) {
            wrote |= write(p);
        }
        if (wrote) {
            channel.flush();
        }
    }

    private void onResponse(Channel ch, ClientResponse response) {
        if (ch != channel || response.clientId() != clientId) {
            return;
        }
        PendingRequest p = table.get(response.sequence());
        if (p == null) {
            // Already finished (answered, timed out) or never ours: nothing waits for it.
            return;
        }
        if (response.status().retriable()) {
            failover(endpoints.current() + " answered " + response.status() + " to #" + response.sequence() + ": "
                    + new String(response.payload(), StandardCharsets.UTF_8));
            return;
        }
        endpoints.succeeded();
        finish(p, response, null);
    }

    private void onLost(Channel ch, String reason) {
        if (ch == channel) {
            failover(endpoints.current() + ": " + reason);
        }
    }

    private void attemptExpired(PendingRequest p, long conn) {
        if (conn == connection && connected && table.get(p.sequence) == p) {
            failover("no answer to #" + p.sequence + " from " + endpoints.current() + " within " + requestTimeout);
        }
    }

    /**
     * Leaves the current replica for the next one; the unfinished requests are resent there once
     * the connection is up.
     */
    private void failover(String why) {
        if (closed.get()) {
            return;
        }
        Channel old = channel;
        boolean wasConnected = connected;
        channel = null;
        connected = false;
        connection++;
        if (old != null) {
            old.close();
        }
        long delay = endpoints.advance();
        currentEndpoint = endpoints.current();
        metrics.failover();
        if (wasConnected) {
            LOG.info("client {}: failing over ({}); next replica {}", clientId, why, currentEndpoint);
        } else {
            LOG.debug("client {}: {}; next replica {} in {} ms", clientId, why, currentEndpoint, delay);
        }
        if (delay == 0) {
            ensureConnection();
        } else {
            redial = loop.schedule(() -> {
                redial = null;
                ensureConnection();
            }, delay, TimeUnit.MILLISECONDS);
        }
    }

    // =====================================================================================
    // Builder
    // =====================================================================================

    /** Configures a {@link CohortClient}. */
    public static final class Builder {

        private List<InetSocketAddress> endpoints;
        private Duration requestTimeout = Duration.ofSeconds(5);
        private Duration overallTimeout = Duration.ofSeconds(60);
        private int maxFrameBytes = ClientFrameCodec.DEFAULT_MAX_FRAME_BYTES;
        private MeterRegistry registry = Metrics.globalRegistry;
        private Long clientId;
        private boolean shuffleEndpoints = true;

        private Builder() {
        }

        /**
         * @param endpoints the replicas' client addresses (required, at least one)
         * @return this builder
         */
        public Builder endpoints(List<InetSocketAddress> endpoints) {
            List<InetSocketAddress> copy = List.copyOf(endpoints);
            if (copy.isEmpty()) {
                throw new IllegalArgumentException("at least one endpoint is needed");
            }
            this.endpoints = copy;
            return this;
        }

        /**
         * @param timeout how long one attempt at one replica may go unanswered before the client
         *                fails over (default 5 s); also the connect timeout
         * @return this builder
         */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = positive(timeout, "requestTimeout");
            return this;
        }

        /**
         * @param timeout how long a request may take, failovers included, before it fails
         *                (default 60 s)
         * @return this builder
         */
        public Builder overallTimeout(Duration timeout) {
            this.overallTimeout = positive(timeout, "overallTimeout");
            return this;
        }

        /**
         * @param maxFrameBytes the largest frame sent or accepted, length prefix included (default
         *                      16 MiB); should match the replicas' setting. A larger request fails
         *                      at once with {@code REJECTED}.
         * @return this builder
         */
        public Builder maxFrameBytes(int maxFrameBytes) {
            this.maxFrameBytes = ClientFrameCodec.checkMaxFrameBytes(maxFrameBytes);
            return this;
        }

        /**
         * @param registry where meters go (default {@link Metrics#globalRegistry})
         * @return this builder
         */
        public Builder meterRegistry(MeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * @param clientId the session id (default: random, nonzero). Two live clients must never
         *                 share one: the replicas would take one's commands for the other's retries.
         * @return this builder
         */
        public Builder clientId(long clientId) {
            this.clientId = clientId;
            return this;
        }

        /**
         * @param shuffle whether to try the endpoints in a random order (default true, which
         *                spreads clients over replicas) rather than in the order given
         * @return this builder
         */
        public Builder shuffleEndpoints(boolean shuffle) {
            this.shuffleEndpoints = shuffle;
            return this;
        }

        /**
         * Creates the client. It connects lazily, on the first request.
         *
         * @return the client
         */
        public CohortClient build() {
            if (endpoints == null) {
                throw new IllegalStateException("endpoints are required");
            }
            return new CohortClient(this);
        }

        private static Duration positive(Duration d, String what) {
            Objects.requireNonNull(d, what);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive, got " + d);
            }
            return d;
        }
    }
}
