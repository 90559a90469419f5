package io.cohort.replication;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;
import io.cohort.api.Message;
import io.cohort.api.RequestExecutor;
import io.cohort.api.StateMachine;
import io.cohort.api.View;
import io.cohort.config.CohortConfig;
import io.cohort.group.Group;
import io.cohort.group.GroupListener;
import io.cohort.group.LinkFilter;
import io.cohort.group.StateProvider;
import io.cohort.group.StateRequest;
import io.cohort.replication.core.CapturedState;
import io.cohort.replication.core.EntryCodec;
import io.cohort.replication.core.ReplicaCore;
import io.cohort.replication.core.ReplicaOutput;
import io.cohort.replication.core.ReplicaSettings;
import io.cohort.replication.server.ClientServer;
import io.cohort.replication.storage.Durability;
import io.cohort.replication.storage.ReplicaStorage;
import io.cohort.replication.wire.ClientRequest;
import io.cohort.replication.wire.ClientResponse;
import io.cohort.replication.wire.ResponseStatus;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Tags;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * One replica of a replicated state machine: a {@link Group} member hosting the user's
 * {@link StateMachine}, serving clients ({@link io.cohort.client.CohortClient}) over TCP.
 *
 * <pre>{@code
 * Replica replica = Replica.builder(config, new Counter())
 *         .mode(ReplicationMode.ACTIVE)
 *         .clientPort(7700)
 *         .build();
 * replica.join(Duration.ofSeconds(30));
 * }</pre>
 *
 * <p>Threads: the state machine runs on one dedicated apply thread ({@code cohort-apply-<name>}),
 * which also runs every group callback, so {@link StateMachine#apply}, snapshots and queries never
 * run concurrently with each other and never on protocol or I/O threads.
 */
public final class Replica implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Replica.class);

    private final CohortConfig config;
    private final ReplicationMode mode;
    private final boolean rejoinOnDivergence;
    private final ReplicaSettings settings;
    private final ExecutorService applyThread;
    private final ReplicaMetrics metrics;
    private final ReplicaCore core;
    private final Group group;
    private final ClientServer server;
    /** Largest command or query accepted: what fits in one multicast with the entry's header. */
    private final int maxRequestBytes;
    private final List<Consumer<View>> viewListeners;
    /** The command log and checkpoints, or null to keep everything in memory. */
    private final ReplicaStorage storage;
    /** The apply thread (set when the executor creates it). */
    private volatile Thread applyThreadOwner;
    /** A flush of the log is queued behind the deliveries of this batch (apply thread). */
    private boolean flushQueued;
    /** A checkpoint was asked for and not yet captured (apply thread). */
    private boolean checkpointRequested;

    private volatile View view;
    private volatile String role = "none";
    private volatile long appliedIndex;
    private volatile long logSequence;
    private volatile long groupLogSequence;

    private Replica(Builder b) {
        this.config = b.config;
        this.mode = b.mode;
        this.rejoinOnDivergence = b.rejoinOnDivergence;
        this.settings = b.settings;
        this.viewListeners = List.copyOf(b.viewListeners);
        String name = config.memberName();
        this.applyThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cohort-apply-" + name);
            t.setDaemon(true);
            applyThreadOwner = t;
            return t;
        });
        this.metrics = new ReplicaMetrics(b.registry, Tags.of("member", name), name);
        this.core = new ReplicaCore(mode, b.machine, b.executor, settings, new GroupOutput(), metrics);
        this.storage = b.storage;
        if (storage != null) {
            recoverFromDisk();
        }
        Group.Builder groupBuilder = Group.builder(config)
                .meterRegistry(b.registry)
                .applicationExecutor(applyThread)
                .listener(new CoreListener())
                .linkFilter(b.linkFilter)
                .stateTransfer(new ReplicaStateProvider(), this::readState);
        if (storage != null) {
            groupBuilder.joinHint(storage::joinHint).recoveryClaim(storage::claim);
        }
        this.group = groupBuilder.build();
        this.maxRequestBytes = group.maxPayloadBytes() - EntryCodec.HEADER_BYTES;
        ClientServer started = null;
        try {
            started = ClientServer.builder(name, this::handle)
                    .host(b.clientHost != null ? b.clientHost : config.bindHost())
                    .port(b.clientPort)
                    .maxFrameBytes(config.maxFrameBytes())
                    .meterRegistry(b.registry)
                    .start();
        } catch (IOException | RuntimeException e) {
            group.close();
            applyThread.shutdownNow();
            throw e instanceof RuntimeException re ? re
                    : new UncheckedIOException("could not start the client server of " + name, (IOException) e);
        }
        this.server = started;
    }

    /** Restores the checkpoint and replays the log, on the apply thread, before joining. */
    private void recoverFromDisk() {
        if (storage.durability() != Durability.MEMORY) {
            core.requireDurableAnswers();
        }
        try {
            applyThread.submit(() -> {
                storage.recover(core);
                return null;
            }).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            applyThread.shutdownNow();
            throw new IllegalStateException("interrupted while recovering from disk", e);
        } catch (java.util.concurrent.ExecutionException e) {
            applyThread.shutdownNow();
            storage.close();
            throw new IllegalStateException(config.memberName() + " could not recover its state from disk", e.getCause());
        }
    }

    /** Writes the state for a joiner: what the storage decides (log suffix or checkpoint), else a live snapshot. */
    private final class ReplicaStateProvider implements StateProvider {

        @Override
        public void writeState(OutputStream out) throws IOException {
            DataOutputStream data = new DataOutputStream(out);
            core.writeSnapshot(data);
            data.flush();
        }

        @Override
        public void writeState(OutputStream out, StateRequest request) throws IOException {
            if (storage == null) {
                writeState(out);
            } else {
                storage.writeCatchUp(out, request, core);
            }
        }

        @Override
        public Deferred defer(StateRequest request) throws IOException {
            return storage == null ? null : storage.deferCatchUp(request, core);
        }
    }

    private void readState(InputStream in) throws IOException {
        if (storage == null) {
            core.readSnapshot(new DataInputStream(in));
        } else {
            storage.readCatchUp(in, core);
        }
    }

    /** After the deliveries queued so far: sync the log (SYNC), tell the group, maybe checkpoint. */
    private void queueFlush() {
        if (storage != null && !flushQueued) {
            flushQueued = true;
            applyThread.execute(this::endOfBatch);
        }
    }

    private void endOfBatch() {
        flushQueued = false;
        storage.flush(this::logHeld);
        if (!checkpointRequested && storage.checkpointDue(core.logSequence())) {
            checkpointRequested = true;
            core.atDeliveredState(this::checkpointNow);
        }
    }

    /** The log holds everything through {@code sequence} (told on the apply thread, or by the sync thread). */
    private void logHeld(long sequence) {
        if (Thread.currentThread() == applyThreadOwner) {
            core.onLogProgress(sequence);
        } else {
            try {
                applyThread.execute(() -> core.onLogProgress(sequence));
            } catch (RejectedExecutionException e) {
                // Closing: nobody is waiting for this any more.
            }
        }
    }

    private void checkpointNow() {
        checkpointRequested = false;
        try {
            long start = System.nanoTime();
            CapturedState state = core.captureState();
            metrics.captureNanos(System.nanoTime() - start);
            storage.checkpoint(state);
        } catch (IOException | RuntimeException e) {
            LOG.error("{}: could not capture the state for a checkpoint; the log keeps growing until one succeeds",
                    config.memberName(), e);
        }
    }

    /**
     * @param config  the member's settings (group name, member name, addresses, timeouts)
     * @param machine the state machine, in its initial state; this replica owns it from now on
     * @return a builder
     */
    public static Builder builder(CohortConfig config, StateMachine machine) {
        return new Builder(config, machine);
    }

    // =====================================================================================
    // Lifecycle
    // =====================================================================================

    /**
     * Joins the group (or starts it, per the discovery rules of {@link Group}).
     *
     * @return a future of the first view
     */
    public CompletableFuture<View> joinAsync() {
        return group.joinAsync();
    }

    /**
     * Joins and waits for the first view (and, for a joiner, the state).
     *
     * @param timeout how long to wait
     * @return the first view
     * @throws TimeoutException     if no view came in time
     * @throws InterruptedException if interrupted
     */
    public View join(Duration timeout) throws TimeoutException, InterruptedException {
        return group.join(timeout);
    }

    /** Leaves the group cleanly, then stops the client server and the threads. */
    @Override
    public void close() {
        server.close();
        group.close();
        applyThread.execute(core::onExit);
        applyThread.shutdown();
        try {
            if (!applyThread.awaitTermination(5, TimeUnit.SECONDS)) {
                applyThread.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            applyThread.shutdownNow();
        }
        if (storage != null) {
            storage.close();
        }
    }

    // =====================================================================================
    // Requests
    // =====================================================================================

    /**
     * Serves one client request in-process, exactly as if it had come over the network. Never
     * blocks; the future always completes with a response (failures are statuses, not exceptions).
     *
     * @param request the request
     * @return the response
     */
    public CompletableFuture<ClientResponse> handle(ClientRequest request) {
        CompletableFuture<ClientResponse> response = new CompletableFuture<>();
        if (request.payload().length > maxRequestBytes) {
            metrics.rejected(ResponseStatus.REJECTED);
            response.complete(ClientResponse.failure(request, ResponseStatus.REJECTED, viewId(),
                    "request of " + request.payload().length + " bytes exceeds the largest a replica accepts ("
                            + maxRequestBytes + " bytes, set by maxFrameBytes)"));
            return response;
        }
        long start = System.nanoTime();
        boolean command = request.kind() == ClientRequest.Kind.COMMAND;
        try {
            applyThread.execute(() -> {
                if (command) {
                    core.submit(request, r -> {
                        metrics.commandNanos(System.nanoTime() - start);
                        response.complete(r);
                    });
                } else {
                    core.query(request, r -> {
                        metrics.readNanos(request.consistency(), System.nanoTime() - start);
                        response.complete(r);
                    });
                }
            });
        } catch (RejectedExecutionException e) {
            response.complete(ClientResponse.failure(request, ResponseStatus.RETRY, viewId(),
                    "the replica is shutting down; retry elsewhere"));
        }
        return response;
    }

    // =====================================================================================
    // Observation (any thread)
    // =====================================================================================

    /** @return the address clients connect to */
    public InetSocketAddress clientAddress() {
        return server.localAddress();
    }

    /** @return the group member's address (for peers) */
    public InetSocketAddress groupAddress() {
        return group.localAddress();
    }

    /** @return the current view, or null outside the group */
    public View view() {
        return view;
    }

    /** @return this member's current incarnation */
    public MemberId self() {
        return group.self();
    }

    /** @return "primary"/"backup", "coordinator"/"cohort", "replica", or "none" outside the group */
    public String role() {
        return role;
    }

    /** @return the replication mode */
    public ReplicationMode mode() {
        return mode;
    }

    /**
     * @return how many commands and updates were delivered here (the command log's last sequence),
     *         as of the last event on the apply thread
     */
    public long logSequence() {
        return logSequence;
    }

    /**
     * @return the highest log sequence any member of the view has reported holding (as of the last
     *         event on the apply thread); {@code groupLogSequence() - logSequence()} is how far this
     *         replica trails. Members report only at durability LOG and SYNC; otherwise this equals
     *         {@link #logSequence()}.
     */
    public long groupLogSequence() {
        return groupLogSequence;
    }

    /** @return commands applied so far (as of the last event on the apply thread) */
    public long appliedIndex() {
        return appliedIndex;
    }

    /**
     * Computes the hash of the replicated state on the apply thread, between two events.
     *
     * @return a future of the applied index and hash at that point
     */
    public CompletableFuture<StateHash> stateHash() {
        return CompletableFuture.supplyAsync(() -> new StateHash(core.state().appliedIndex(), core.state().hash()),
                applyThread);
    }

    /**
     * The replicated state's hash at an applied index.
     *
     * @param appliedIndex the index
     * @param hash         the hash (equal at every replica at the same index)
     */
    public record StateHash(long appliedIndex, long hash) {
    }

    private long viewId() {
        View v = view;
        return v == null ? 0 : v.viewId();
    }

    /** Publishes what other threads may read, after each event on the apply thread. */
    private void publish() {
        view = core.view();
        role = core.role();
        appliedIndex = core.state().appliedIndex();
        logSequence = core.logSequence();
        groupLogSequence = core.groupLogSequence();
    }

    // =====================================================================================
    // Wiring to the group (apply thread)
    // =====================================================================================

    /** Feeds the group's events to the core, on the apply thread. */
    private final class CoreListener implements GroupListener {

        @Override
        public void onIncarnation(MemberId self) {
            core.onIncarnation(self);
        }

        @Override
        public void onView(View v) {
            core.onView(v);
            if (storage != null) {
                storage.viewInstalled(v, core.logSequence());
                storage.flush(Replica.this::logHeld);
            }
            publish();
            for (Consumer<View> l : viewListeners) {
                try {
                    l.accept(v);
                } catch (RuntimeException e) {
                    LOG.warn("{}: a view listener failed", config.memberName(), e);
                }
            }
        }

        @Override
        public void onFlush(long viewId) {
            core.onFlush(viewId);
        }

        @Override
        public void onDelivery(Message m) {
            long start = System.nanoTime();
            try {
                core.onDelivery(m.sender(), m.viewId(), m.payload());
            } catch (EntryCodec.MalformedEntryException e) {
                metrics.malformedEntry();
                LOG.warn("{}: ignored a group message from {} that is not a replication entry: {}",
                        config.memberName(), m.sender(), e.getMessage());
                return;
            }
            if (m.order() == DeliveryOrder.SAFE) {
                metrics.applyNanos(System.nanoTime() - start);
                queueFlush();
            }
            appliedIndex = core.state().appliedIndex();
            logSequence = core.logSequence();
            groupLogSequence = core.groupLogSequence();
        }

        @Override
        public void onExcluded(MemberId self, long lastViewId) {
            exit();
        }

        @Override
        public void onLeft(MemberId self, long lastViewId) {
            exit();
        }

        private void exit() {
            if (storage != null) {
                // Publish where the log ends now, for the hint of the next join.
                storage.publishPosition();
                if (core.appliedAheadOfDelivery()) {
                    // This primary's state holds updates the group may never deliver: only a whole
                    // state may replace it, not a log suffix on top of it.
                    storage.distrustLocalState();
                }
            }
            core.onExit();
            publish();
        }
    }

    /** The core's view of the world: the group, the clock, and what to do about divergence. */
    private final class GroupOutput implements ReplicaOutput {

        @Override
        public void multicast(DeliveryOrder order, byte[] payload) {
            // Failures need no handling here: they only happen when this member leaves the group,
            // and the core is told of that exit, which answers every waiting client.
            group.multicast(order, payload);
        }

        @Override
        public void confirmView(long token) {
            group.confirmView(Duration.ofMillis(settings.readTimeoutMillis())).whenCompleteAsync((viewId, failure) -> {
                if (failure == null) {
                    core.onViewConfirmed(token, viewId);
                } else {
                    core.onViewNotConfirmed(token);
                }
            }, applyThread);
        }

        @Override
        public void divergent(long index, long ownHash, long agreedHash) {
            metrics.divergent();
            LOG.error("{}: state diverged at applied index {}: own hash {} but a majority of the view has {}{}",
                    config.memberName(), index, Long.toHexString(ownHash), Long.toHexString(agreedHash),
                    rejoinOnDivergence ? "; leaving to rejoin with a fresh state" : "");
            if (rejoinOnDivergence) {
                if (storage != null) {
                    storage.distrustLocalState();
                }
                group.rejoin();
            }
        }

        @Override
        public void resync(String reason) {
            LOG.error("{}: {}; leaving to rejoin with a fresh state", config.memberName(), reason);
            if (storage != null) {
                storage.distrustLocalState();
            }
            group.rejoin();
        }

        @Override
        public void append(long sequence, long viewId, MemberId sender, byte[] payload) {
            if (storage != null) {
                storage.append(sequence, viewId, sender, payload);
            }
        }

        @Override
        public long nowMillis() {
            return System.currentTimeMillis();
        }

        @Override
        public int maxEntryBytes() {
            return group.maxPayloadBytes();
        }
    }

    // =====================================================================================
    // Builder
    // =====================================================================================

    /** Builds a {@link Replica}. */
    public static final class Builder {
        private final CohortConfig config;
        private final StateMachine machine;
        private ReplicationMode mode = ReplicationMode.ACTIVE;
        private RequestExecutor executor;
        private ReplicaSettings settings = ReplicaSettings.defaults();
        private String clientHost;
        private int clientPort;
        private boolean rejoinOnDivergence = true;
        private MeterRegistry registry = Metrics.globalRegistry;
        private LinkFilter linkFilter = LinkFilter.OPEN;
        private final List<Consumer<View>> viewListeners = new ArrayList<>();
        private ReplicaStorage storage;

        private Builder(CohortConfig config, StateMachine machine) {
            this.config = Objects.requireNonNull(config, "config");
            this.machine = Objects.requireNonNull(machine, "machine");
        }

        /**
         * @param mode how requests become updates (default {@link ReplicationMode#ACTIVE})
         * @return this
         */
        public Builder mode(ReplicationMode mode) {
            this.mode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * @param executor turns requests into updates; required for primary-backup and coordinator-cohort
         * @return this
         */
        public Builder requestExecutor(RequestExecutor executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * @param settings session expiry, hash interval, read timeout (must match at every replica)
         * @return this
         */
        public Builder settings(ReplicaSettings settings) {
            this.settings = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /**
         * @param host address the client server listens on (default: the group's bind host)
         * @return this
         */
        public Builder clientHost(String host) {
            this.clientHost = Objects.requireNonNull(host, "host");
            return this;
        }

        /**
         * @param port port the client server listens on; 0 (the default) picks a free one
         * @return this
         */
        public Builder clientPort(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("client port " + port + " is not in 0..65535");
            }
            this.clientPort = port;
            return this;
        }

        /**
         * @param rejoin whether a replica whose state hash differs from the majority's leaves and
         *               rejoins with a fresh state (default true); otherwise it only logs and counts
         * @return this
         */
        public Builder rejoinOnDivergence(boolean rejoin) {
            this.rejoinOnDivergence = rejoin;
            return this;
        }

        /**
         * @param registry where the replica's and group's meters go (default {@link Metrics#globalRegistry})
         * @return this
         */
        public Builder meterRegistry(MeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * @param listener told of every view this replica installs, on the apply thread (keep it short)
         * @return this
         */
        public Builder viewListener(Consumer<View> listener) {
            viewListeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /**
         * @param filter fault injection for tests (see {@link Group.Builder#linkFilter}); never in production
         * @return this
         */
        public Builder linkFilter(LinkFilter filter) {
            this.linkFilter = Objects.requireNonNull(filter, "filter");
            return this;
        }

        /**
         * Makes the replica durable: a command log and checkpoints (the {@code cohort-recovery}
         * module's {@code DurableStorage}). At build the replica restores its state from that
         * storage before it joins. Every replica of a group must use the same durability level.
         * The replica closes the storage when it closes.
         *
         * @param storage where the state is kept (default: none, {@link Durability#MEMORY})
         * @return this
         */
        public Builder storage(ReplicaStorage storage) {
            this.storage = Objects.requireNonNull(storage, "storage");
            return this;
        }

        /**
         * Starts the group member (not yet joined) and the client server.
         *
         * @return the replica
         */
        public Replica build() {
            if (mode != ReplicationMode.ACTIVE && executor == null) {
                throw new IllegalStateException(mode + " needs a requestExecutor");
            }
            return new Replica(this);
        }
    }
}
