package io.cohort.runtime;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;
import io.cohort.api.Message;
import io.cohort.api.MulticastOutcome;
import io.cohort.api.View;
import io.cohort.config.CohortConfig;
import io.cohort.group.GroupListener;
import io.cohort.group.LinkFilter;
import io.cohort.group.MulticastException;
import io.cohort.group.RecoveryClaim;
import io.cohort.group.StateConsumer;
import io.cohort.group.StateProvider;
import io.cohort.group.StateRequest;
import io.cohort.group.ViewNotConfirmedException;
import io.cohort.metrics.GroupMetrics;
import io.cohort.metrics.TransportMetrics;
import io.cohort.protocol.Effect;
import io.cohort.protocol.GroupMember;
import io.cohort.protocol.ProtocolConfig;
import io.cohort.protocol.ProtocolCounters;
import io.cohort.protocol.ProtocolVariant;
import io.cohort.protocol.wire.FrameCodec;
import io.cohort.transport.DiscoveryStatus;
import io.cohort.transport.Endpoint;
import io.cohort.transport.NettyTransport;
import io.cohort.transport.PeerIdentity;
import io.cohort.transport.TransportListener;
import io.cohort.transport.TransportSettings;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Runs one group member: drives its sans-IO protocol core from a {@link ProtocolLoop}, carries
 * out the core's effects with the {@link NettyTransport}, detects failures by heartbeat, finds or
 * starts the group at start-up ({@link Discovery}), streams state to joiners, and hands every
 * event to the application on a {@link SerialExecutor}. Everything that touches the core runs
 * on the protocol thread; fields below marked "protocol thread" are only used there.
 */
public final class MemberRuntime implements TransportListener {

    private static final Logger LOG = LoggerFactory.getLogger(MemberRuntime.class);
    private static final long FD_CHECK_MILLIS = 10;
    private static final int STATE_CHUNKS_IN_FLIGHT = 8;
    /** Most state bytes a donor lets a joiner leave unacknowledged before it waits. */
    private static final long STATE_WINDOW_BYTES = 8L << 20;
    /**
     * Frames waiting for the protocol thread: above the high mark the transport stops reading
     * (TCP then pushes back on senders), below the low mark it reads again. Keeps a burst from
     * filling the heap with queued input.
     */
    private static final long INBOUND_BACKLOG_HIGH_BYTES = 8L << 20;
    private static final long INBOUND_BACKLOG_LOW_BYTES = 2L << 20;

    private enum Phase { IDLE, DISCOVERING, JOINING, MEMBER, DONE }

    private record Pending(CompletableFuture<Message> future, DeliveryOrder order, byte[] payload, long startNanos) {
    }

    private final CohortConfig config;
    private final ProtocolConfig protocolConfig;
    private final List<GroupListener> listeners;
    private final StateProvider stateProvider;
    private volatile Supplier<byte[]> joinHint = () -> new byte[0];
    /** Donor: the state transfers in progress, by joiner (protocol thread only). */
    private final Map<MemberId, StateSendWindow> stateSends = new HashMap<>();
    private volatile Supplier<RecoveryClaim> recoveryClaim = () -> RecoveryClaim.NONE;
    /** The claim announced during the current discovery (read once when it starts). */
    private volatile RecoveryClaim discoveryClaim = RecoveryClaim.NONE;
    private final StateConsumer stateConsumer;
    private final boolean rejoinAfterExclusion;
    private final GroupMetrics metrics;
    private final FailureDetector detector;
    private final ProtocolLoop loop;
    private final SerialExecutor app;
    private final ExecutorService ownAppThread;
    /** Writes deferred states to joiners; created on first use. */
    private ExecutorService stateSender;
    private final NettyTransport transport;
    private final Semaphore window;
    private final InetSocketAddress localAddress;
    private final Set<CompletableFuture<Message>> outstanding = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<View> joined = new CompletableFuture<>();
    private final CompletableFuture<Void> left = new CompletableFuture<>();
    private final MeterRegistry registry;
    private final long[] countsOfEarlierIncarnations = new long[ProtocolCounters.Kind.values().length];
    private final AtomicLong inboundBacklog = new AtomicLong();
    /** Messages the core holds until stable, as of the last batch; senders wait while it is too high. */
    private volatile int retained;
    private volatile int retainedLimit;

    private volatile MemberId self;
    private volatile View view;
    private volatile boolean closed;

    // protocol thread
    /** Replaced only on the protocol thread; volatile for the state-transfer and gauge threads that read it. */
    private volatile GroupMember core;
    private Phase phase = Phase.IDLE;
    private Discovery discovery;
    private boolean leaveRequested;
    /** The application asked to leave and come back as the next incarnation (to re-sync its state). */
    private boolean rejoinRequested;
    /** Fault injection for tests; lets everything through unless a test sets one. */
    private volatile LinkFilter linkFilter = LinkFilter.OPEN;
    private final Map<Long, Pending> pending = new HashMap<>();
    /** Open view-confirmation rounds by token; protocol thread only. */
    private final Map<Long, CompletableFuture<Long>> confirmations = new HashMap<>();
    private long nextConfirmationToken;
    /** Every confirmation future not yet completed, so that close() can fail them from any thread. */
    private final Set<CompletableFuture<Long>> openConfirmations = ConcurrentHashMap.newKeySet();
    private long triggerNanos;
    private long wedgeNanos;
    /**
     * The state transfer this joiner receives (or last received): written on the protocol thread,
     * read by its consumer on the application executor; volatile for the I/O threads, whose
     * back-pressure counts its unread bytes.
     */
    private volatile StateHandoff incomingState;
    private long lastHeartbeatNanos;
    /** When this member last heard a seed say it is a member (while joining). */
    private long memberSeenNanos;

    private MemberRuntime(CohortConfig config, MeterRegistry registry, Executor executor, List<GroupListener> listeners,
                          StateProvider provider, StateConsumer consumer, boolean rejoin) {
        this.config = config;
        // A Data message carries at most a quarter of the largest frame in payload, leaving room
        // for per-message headers; larger payloads are refused at multicast().
        this.protocolConfig = new ProtocolConfig(config.retransmitMillis(), config.joinRetryMillis(),
                ProtocolConfig.defaults().maxBatchMessages(), config.maxFrameBytes() / 4,
                ProtocolConfig.defaults().maxDeferredFrames(), ProtocolVariant.CORRECT);
        this.listeners = List.copyOf(listeners);
        this.stateProvider = provider;
        this.stateConsumer = consumer;
        this.rejoinAfterExclusion = rejoin;
        this.registry = registry;
        Tags tags = Tags.of("member", config.memberName());
        this.metrics = new GroupMetrics(registry, tags);
        this.detector = new FailureDetector(config.suspectTimeoutMillis());
        this.window = new Semaphore(config.maxInFlightMulticasts());
        this.self = MemberId.of(config.memberName(), Math.max(1, System.currentTimeMillis()));
        this.core = new GroupMember(self, protocolConfig);
        if (executor == null) {
            ownAppThread = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "cohort-app-" + config.memberName());
                t.setDaemon(true);
                return t;
            });
            executor = ownAppThread;
        } else {
            ownAppThread = null;
        }
        this.app = new SerialExecutor(executor);
        this.loop = new ProtocolLoop("cohort-protocol-" + config.memberName(), this::afterBatch);
        this.transport = new NettyTransport(new TransportSettings(config.clusterName(), config.memberName(),
                config.bindHost(), config.bindPort(), config.advertisedHost(), config.maxFrameBytes(),
                config.outboundQueueBytes(), config.connectTimeoutMillis(), config.reconnectBackoffMinMillis(),
                config.reconnectBackoffMaxMillis(), 1), self.incarnation(), this, new TransportMetrics(registry, tags));
        try {
            this.localAddress = transport.start();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            transport.close();
            throw new IllegalStateException("interrupted while binding " + config.bindHost() + ":" + config.bindPort(), e);
        } catch (RuntimeException e) {
            transport.close();
            throw new IllegalStateException("cannot listen on " + config.bindHost() + ":" + config.bindPort()
                    + ": " + e.getMessage(), e);
        }
        GroupMetrics.registerGauges(registry, tags, this::count, () -> retained,
                () -> view == null ? 0 : view.viewId(), () -> view == null ? 0 : view.size(),
                () -> config.maxInFlightMulticasts() - window.availablePermits(), app::backlog);
    }

    /**
     * Binds the member's port and starts its threads; the member takes part once {@link #join()} is called.
     *
     * @param config    configuration
     * @param registry  meter registry
     * @param executor  application executor, or null for a dedicated thread
     * @param listeners listeners
     * @param provider  state provider
     * @param consumer  state consumer
     * @param rejoin    whether to rejoin automatically after exclusion
     * @return the running member
     */
    public static MemberRuntime start(CohortConfig config, MeterRegistry registry, Executor executor,
                                      List<GroupListener> listeners, StateProvider provider, StateConsumer consumer,
                                      boolean rejoin) {
        MemberRuntime rt = new MemberRuntime(config, registry, executor, listeners, provider, consumer, rejoin);
        rt.loop.start();
        rt.loop.execute(rt::startTimers);
        MemberId first = rt.self;
        rt.app.execute(() -> rt.listeners.forEach(l -> l.onIncarnation(first)));
        LOG.info("{}: listening on {} (advertised {}), cluster '{}'", first, rt.localAddress, rt.transport.advertised(),
                config.clusterName());
        return rt;
    }

    // =====================================================================================
    // API entry points (any thread)
    // =====================================================================================

    /** @return a future of the first view; starts discovery on the first call */
    public CompletableFuture<View> join() {
        if (!closed) {
            loop.execute(() -> {
                if (phase == Phase.IDLE) {
                    startDiscovery();
                }
            });
        }
        return joined;
    }

    /**
     * @param order   delivery order
     * @param payload payload
     * @return a future completed on local delivery, or failed with a {@link MulticastException}
     */
    public CompletableFuture<Message> multicast(DeliveryOrder order, byte[] payload) {
        if (payload.length > maxPayloadBytes()) {
            throw new IllegalArgumentException("payload of " + payload.length + " bytes exceeds the largest a frame "
                    + "can carry (" + maxPayloadBytes() + " bytes: a quarter of maxFrameBytes=" + config.maxFrameBytes() + ")");
        }
        CompletableFuture<Message> future = new CompletableFuture<>();
        String refusal = awaitFlowControl();
        if (refusal != null) {
            future.completeExceptionally(new MulticastException(MulticastOutcome.NOT_SENT, refusal));
            return future;
        }
        outstanding.add(future);
        future.whenComplete((m, e) -> outstanding.remove(future));
        long start = System.nanoTime();
        loop.execute(() -> {
            long id = core.multicast(order, payload);
            pending.put(id, new Pending(future, order, payload, start));
            metrics.sent(order, payload.length);
        });
        if (closed) {
            failOutstanding();
        }
        return future;
    }

    /**
     * Waits until this member may send: a window slot is free (own messages not yet delivered)
     * and the group holds few enough unstable messages. A delivered message stays in memory until
     * every member has it, so the slowest member's progress also limits senders.
     *
     * @return null with a window slot taken, or why the message will not be sent
     */
    private String awaitFlowControl() {
        try {
            while (!window.tryAcquire(10, TimeUnit.MILLISECONDS)) {
                if (closed) {
                    return "the group member is closed";
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while waiting for the flow-control window";
        }
        while (retained > retainedLimit && retainedLimit > 0 && !closed && !Thread.currentThread().isInterrupted()) {
            LockSupport.parkNanos(200_000);
        }
        String refusal = closed ? "the group member is closed"
                : Thread.currentThread().isInterrupted() ? "interrupted while waiting for the group to catch up" : null;
        if (refusal != null) {
            window.release();
        }
        return refusal;
    }

    /** @return the largest payload {@link #multicast} accepts */
    public int maxPayloadBytes() {
        return config.maxFrameBytes() / 4;
    }

    /**
     * Starts a round proving this member's view current (see {@link GroupMember#confirmView}).
     *
     * @param timeoutMillis how long the round may take before it fails
     * @return a future of the confirmed view id, completed on the application executor after every
     *         delivery the proof covers, or failed with a {@link ViewNotConfirmedException}
     */
    public CompletableFuture<Long> confirmView(long timeoutMillis) {
        CompletableFuture<Long> future = new CompletableFuture<>();
        openConfirmations.add(future);
        future.whenComplete((v, e) -> openConfirmations.remove(future));
        loop.execute(() -> {
            long token = ++nextConfirmationToken;
            confirmations.put(token, future);
            core.confirmView(token);
            loop.schedule(timeoutMillis, () -> {
                CompletableFuture<Long> f = confirmations.remove(token);
                if (f != null) {
                    metrics.viewConfirmation(false);
                    app.execute(() -> f.completeExceptionally(new ViewNotConfirmedException(
                            "no answer from a majority of the view within " + timeoutMillis + " ms")));
                }
            });
        });
        if (closed) {
            failOutstanding();
        }
        return future;
    }

    /**
     * Leaves the group cleanly and comes back as the next incarnation, which receives the state
     * afresh by state transfer: how a member whose state diverged re-syncs.
     */
    public void rejoin() {
        loop.execute(() -> {
            if (phase != Phase.DONE && !leaveRequested && !closed && core.status() == GroupMember.Status.MEMBER) {
                rejoinRequested = true;
                core.leave();
            }
        });
    }

    /** @return a future completed once this member is out of the group */
    public CompletableFuture<Void> leave() {
        loop.execute(() -> {
            leaveRequested = true;
            if (phase == Phase.DONE) {
                left.complete(null);
            } else {
                core.leave();
            }
        });
        if (closed) {
            left.complete(null);
        }
        return left;
    }

    /** @return the current view, or null */
    public View view() {
        return view;
    }

    /** @return the current incarnation */
    public MemberId self() {
        return self;
    }

    /** @return the bound address */
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    /** @return whether the caller runs on the application executor */
    public boolean onApplicationThread() {
        return app.onThisExecutor();
    }

    /** Leaves (waiting a bounded time unless called from a callback), then stops threads and sockets. */
    public void close() {
        if (closed) {
            return;
        }
        // A state consumer waiting for chunks holds the application executor, where the leave
        // completes: release it first.
        abortIncomingState("the member is closing");
        CompletableFuture<Void> leaving = leave();
        if (!onApplicationThread()) {
            try {
                leaving.get(2 * config.suspectTimeoutMillis() + 1000, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                LOG.warn("{}: leave did not complete before close ({}); peers will suspect this member", self,
                        e.toString());
            }
        }
        closed = true;
        loop.stop();
        transport.close();
        failOutstanding();
        // A new member built later with the same name must not find gauges reading this one.
        for (io.micrometer.core.instrument.Meter m : registry.getMeters()) {
            if (config.memberName().equals(m.getId().getTag("member")) && m.getId().getName().startsWith("cohort.")) {
                registry.remove(m);
            }
        }
        joined.completeExceptionally(new IllegalStateException("closed before joining"));
        left.complete(null);
        synchronized (this) {
            if (stateSender != null) {
                stateSender.shutdownNow();
            }
        }
        if (ownAppThread != null) {
            ownAppThread.shutdown();
        }
    }

    private void failOutstanding() {
        for (CompletableFuture<Long> f : List.copyOf(openConfirmations)) {
            f.completeExceptionally(new ViewNotConfirmedException("the group member is closed"));
        }
        for (CompletableFuture<Message> f : List.copyOf(outstanding)) {
            metrics.aborted(MulticastOutcome.UNKNOWN);
            f.completeExceptionally(new MulticastException(MulticastOutcome.UNKNOWN,
                    "the group member closed before the message was delivered here"));
        }
    }

    // =====================================================================================
    // Transport events (I/O threads)
    // =====================================================================================

    /**
     * @param filter decides which peers' traffic gets through (fault injection for tests)
     */
    public void linkFilter(LinkFilter filter) {
        this.linkFilter = filter;
    }

    /**
     * @param hint supplies the state hint sent with each join request (read once per join, on the
     *             protocol thread; must be thread-safe and at most {@link FrameCodec#MAX_STATE_HINT_BYTES})
     */
    public void joinHint(Supplier<byte[]> hint) {
        this.joinHint = hint;
    }

    /**
     * @param claim supplies what this member holds on disk, announced during discovery (read once
     *              per discovery, on the protocol thread; must be thread-safe)
     */
    public void recoveryClaim(Supplier<RecoveryClaim> claim) {
        this.recoveryClaim = claim;
    }

    @Override
    public void onAlive(PeerIdentity peer) {
        if (linkFilter.allows(peer.name())) {
            detector.heardFrom(peer);
        }
    }

    @Override
    public boolean onFrames(PeerIdentity peer, List<byte[]> frames) {
        if (!linkFilter.allows(peer.name())) {
            return true;
        }
        long bytes = 0;
        for (byte[] f : frames) {
            bytes += f.length;
        }
        long size = bytes;
        long backlog = inboundBacklog.addAndGet(size);
        loop.execute(() -> {
            inboundBacklog.addAndGet(-size);
            GroupMember c = core;
            for (byte[] f : frames) {
                c.receive(f);
            }
        });
        return backlog + stateBacklog() < INBOUND_BACKLOG_HIGH_BYTES;
    }

    @Override
    public void onDiscover(PeerIdentity peer) {
        if (!linkFilter.allows(peer.name())) {
            return;
        }
        loop.execute(() -> {
            DiscoveryStatus status = discoveryStatus();
            Endpoint backs = status == DiscoveryStatus.DISCOVERING && discovery != null
                    ? discovery.backs(System.nanoTime()) : null;
            transport.sendDiscoverReply(peer.name(), status, core.view() == null ? 0 : core.view().viewId(), backs,
                    discovery != null ? discoveryClaim : RecoveryClaim.NONE);
        });
    }

    @Override
    public void onDiscoverReply(PeerIdentity peer, DiscoveryStatus status, long viewId, Endpoint backs,
                                RecoveryClaim claim) {
        if (!linkFilter.allows(peer.name())) {
            return;
        }
        long now = System.nanoTime();
        // Name resolution happens here, on the I/O thread, never on the protocol thread.
        Endpoint from = peer.endpoint().normalized();
        Endpoint backed = backs == null ? null : backs.normalized();
        loop.execute(() -> {
            if (discovery != null) {
                discovery.reply(from, peer.name(), status, backed, claim, now);
            }
        });
    }

    // =====================================================================================
    // Protocol thread
    // =====================================================================================

    private DiscoveryStatus discoveryStatus() {
        if (phase == Phase.DONE) {
            return DiscoveryStatus.INACTIVE;
        }
        return switch (core.status()) {
            case MEMBER -> DiscoveryStatus.MEMBER;
            case JOINING -> DiscoveryStatus.JOINING;
            default -> DiscoveryStatus.DISCOVERING;
        };
    }

    private void startTimers() {
        loop.schedule(FD_CHECK_MILLIS, this::detectorTick);
    }

    /** Heartbeats out, silence checked. Runs every few milliseconds for the member's lifetime. */
    private void detectorTick() {
        loop.schedule(FD_CHECK_MILLIS, this::detectorTick);
        View v = core.view();
        long now = System.nanoTime();
        boolean beat = now - lastHeartbeatNanos >= config.heartbeatIntervalMillis() * 1_000_000L;
        if (core.status() == GroupMember.Status.JOINING && beat) {
            // The group may already count a joiner as a member while its state is still on the
            // way; it must look alive to everyone it knows of, or it would be suspected.
            lastHeartbeatNanos = now;
            transport.knownPeers().forEach(transport::sendHeartbeat);
        }
        if (core.status() != GroupMember.Status.MEMBER || v == null) {
            return;
        }
        if (beat) {
            lastHeartbeatNanos = now;
            for (MemberId m : v.members()) {
                if (!m.equals(core.self())) {
                    transport.sendHeartbeat(m.name());
                }
            }
        }
        if (inboundBacklog.get() >= INBOUND_BACKLOG_HIGH_BYTES || stateBacklog() >= INBOUND_BACKLOG_LOW_BYTES) {
            // This member is behind on its own input (reading is paused, or may be, until the
            // protocol thread or the state consumer catches up): peers' heartbeats wait unread in
            // the sockets. Silence now says nothing about them.
            detector.restartClocks(now);
            return;
        }
        for (MemberId m : detector.check(v, core.self(), now)) {
            LOG.info("{}: suspecting {}: silent for more than {} ms", core.self(), m, config.suspectTimeoutMillis());
            metrics.suspicion();
            if (triggerNanos == 0) {
                triggerNanos = now;
            }
            core.suspect(m);
        }
    }

    private void startDiscovery() {
        phase = Phase.DISCOVERING;
        List<Endpoint> seeds = config.seeds().stream().map(s -> new Endpoint(s.host(), s.port()).normalized()).toList();
        Endpoint me = transport.advertised().normalized();
        if (!seeds.isEmpty() && !seeds.contains(me)) {
            LOG.info("{}: {} is not among the seeds {}; this member joins but never starts a group", self, me, seeds);
        }
        discoveryClaim = recoveryClaim.get();
        if (!discoveryClaim.isNone()) {
            LOG.info("{}: restarting from disk at position {} of view {} (last view {}); a new group starts only"
                    + " from the most advanced state among a majority of that view", self, discoveryClaim.position(),
                    discoveryClaim.lastViewId(), discoveryClaim.lastViewMembers());
        }
        discovery = new Discovery(seeds, me, config.bootstrapTimeoutMillis(), discoveryRoundMillis(), System.nanoTime(),
                config.memberName(), discoveryClaim);
        discoveryRound();
    }

    private long discoveryRoundMillis() {
        return Math.max(50, config.joinRetryMillis() / 5);
    }

    private void discoveryRound() {
        if (closed) {
            return;
        }
        if (phase == Phase.JOINING && core.status() == GroupMember.Status.JOINING) {
            joiningRound();
            return;
        }
        if (phase != Phase.DISCOVERING) {
            return;
        }
        long now = System.nanoTime();
        switch (discovery.decide(now)) {
            case JOIN -> {
                LOG.info("{}: found a group; joining", self);
                phase = Phase.JOINING;
                memberSeenNanos = now;
                core.join(joinHint.get());
                loop.schedule(discoveryRoundMillis(), this::discoveryRound);
            }
            case BOOTSTRAP -> {
                LOG.info("{}: no group found and a majority of the seeds back this member; starting the group at view {}",
                        self, discovery.firstViewId());
                phase = Phase.JOINING;
                core.bootstrap(new View(discovery.firstViewId(), List.of(self)));
            }
            case WAIT -> {
                for (Endpoint seed : discovery.others()) {
                    transport.discover(seed);
                }
                loop.schedule(discoveryRoundMillis(), this::discoveryRound);
            }
        }
    }

    /**
     * While joining, keeps asking the seeds. If no seed has said it is a member for a while (the
     * group went away between discovery and the join), the join is abandoned: the member starts
     * over as its next incarnation, so that it can take part in starting a new group.
     */
    private void joiningRound() {
        long now = System.nanoTime();
        if (discovery.memberSeen(now)) {
            memberSeenNanos = now;
        }
        long giveUpNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(config.bootstrapTimeoutMillis(),
                2 * config.suspectTimeoutMillis()) + 3 * discoveryRoundMillis());
        if (now - memberSeenNanos > giveUpNanos && !receivingState()) {
            LOG.warn("{}: no member of the group has answered for {} ms while joining; starting over", self,
                    TimeUnit.NANOSECONDS.toMillis(now - memberSeenNanos));
            restartAsNextIncarnation();
            return;
        }
        for (Endpoint seed : discovery.others()) {
            transport.discover(seed);
        }
        loop.schedule(discoveryRoundMillis(), this::discoveryRound);
    }

    /** After each batch of events: carry out the core's effects, then flush the transport once. */
    private void afterBatch() {
        List<Effect> effects = core.takeEffects();
        while (!effects.isEmpty()) {
            for (Effect e : effects) {
                try {
                    carryOut(e);
                } catch (RuntimeException ex) {
                    // The effects are already out of the core: one failing must not lose the rest.
                    LOG.error("{}: carrying out {} failed", self, e.getClass().getSimpleName(), ex);
                }
            }
            effects = core.takeEffects();
        }
        transport.flush();
        retained = core.retainedMessages();
        View v = core.view();
        retainedLimit = config.maxInFlightMulticasts() * (v == null ? 1 : v.size());
        if (inboundBacklog.get() + stateBacklog() < INBOUND_BACKLOG_LOW_BYTES) {
            transport.resumeReading();
        }
        // Acknowledgements from joiners came in with this batch: let their donors write on.
        stateSends.forEach((joiner, window) -> window.unacknowledged(core.unacknowledgedBytesTo(joiner)));
    }

    private void carryOut(Effect effect) {
        if (effect instanceof Effect.Send s) {
            if (linkFilter.allows(s.to().name())) {
                transport.send(s.to().name(), s.frame());
            }
        } else if (effect instanceof Effect.Deliver d) {
            deliver(d);
        } else if (effect instanceof Effect.SetTimer t) {
            GroupMember c = core;
            loop.schedule(t.delayMillis(), () -> {
                if (c == core) {
                    c.timerFired(t.timer());
                }
            });
        } else if (effect instanceof Effect.Sent s) {
            Pending p = pending.get(s.localId());
            if (p != null) {
                Message m = new Message(core.self(), s.viewId(), s.order(), p.payload());
                toApp(l -> l.onSent(m));
            }
        } else if (effect instanceof Effect.SendToSeeds s) {
            for (Endpoint seed : discovery == null ? List.<Endpoint>of() : discovery.others()) {
                String name = transport.nameAt(seed);
                if (name != null) {
                    transport.send(name, s.frame());
                } else {
                    transport.discover(seed);
                }
            }
        } else if (effect instanceof Effect.ViewInstalled v) {
            installed(v.view());
        } else if (effect instanceof Effect.Wedged w) {
            long now = System.nanoTime();
            wedgeNanos = now;
            if (triggerNanos == 0) {
                triggerNanos = now;
            }
            toApp(l -> l.onFlush(w.viewId()));
        } else if (effect instanceof Effect.MulticastAborted a) {
            Pending p = pending.remove(a.localId());
            if (p != null) {
                window.release();
                metrics.aborted(a.outcome());
                app.execute(() -> p.future().completeExceptionally(new MulticastException(a.outcome(),
                        "multicast not delivered here: " + describe(a.outcome()))));
            }
        } else if (effect instanceof Effect.ViewConfirmed c) {
            CompletableFuture<Long> f = confirmations.remove(c.token());
            if (f != null) {
                metrics.viewConfirmation(true);
                app.execute(() -> f.complete(c.viewId()));
            }
        } else if (effect instanceof Effect.ViewConfirmFailed c) {
            CompletableFuture<Long> f = confirmations.remove(c.token());
            if (f != null) {
                metrics.viewConfirmation(false);
                app.execute(() -> f.completeExceptionally(new ViewNotConfirmedException(
                        "this member changed or left its view, or is wedged or without state")));
            }
        } else if (effect instanceof Effect.SnapshotRequested r) {
            GroupMember donorCore = core;
            app.execute(() -> streamState(donorCore, new StateRequest(r.joiner(), r.viewId(), r.joinerHint())));
        } else if (effect instanceof Effect.StateChunkReceived c) {
            stateChunk(c);
        } else if (effect instanceof Effect.Excluded x) {
            excluded(x.lastViewId());
        } else if (effect instanceof Effect.Left l && rejoinRequested && !leaveRequested && !closed) {
            MemberId me = core.self();
            abortIncomingState("this member left the group");
            rejoinRequested = false;
            LOG.warn("{}: left the group after view {} to rejoin as a new incarnation", me, l.lastViewId());
            view = null;
            app.execute(() -> listeners.forEach(x -> x.onLeft(me, l.lastViewId())));
            restartAsNextIncarnation();
        } else if (effect instanceof Effect.Left l) {
            MemberId me = core.self();
            abortIncomingState("this member left the group");
            LOG.info("{}: left the group after view {}", me, l.lastViewId());
            phase = Phase.DONE;
            view = null;
            app.execute(() -> {
                listeners.forEach(x -> x.onLeft(me, l.lastViewId()));
                left.complete(null);
            });
        }
    }

    private static String describe(MulticastOutcome outcome) {
        return outcome == MulticastOutcome.NOT_SENT
                ? "this member left or was excluded before sending it; nobody delivers it"
                : "this member left or was excluded after sending it; the survivors all delivered it or all dropped it";
    }

    private void deliver(Effect.Deliver d) {
        metrics.delivered(d.order(), d.payload().length);
        Message m = new Message(d.sender(), d.viewId(), d.order(), d.payload());
        Pending p = d.localId() == -1 ? null : pending.remove(d.localId());
        if (p != null) {
            window.release();
            metrics.ownLatency(d.order(), System.nanoTime() - p.startNanos());
        }
        app.execute(() -> {
            for (GroupListener l : listeners) {
                l.onDelivery(m);
            }
            if (p != null) {
                p.future().complete(m);
            }
        });
    }

    private void installed(View v) {
        long now = System.nanoTime();
        View before = view;
        metrics.viewInstalled(triggerNanos == 0 ? null : Duration.ofNanos(now - triggerNanos),
                wedgeNanos == 0 ? null : Duration.ofNanos(now - wedgeNanos));
        triggerNanos = 0;
        wedgeNanos = 0;
        logView(before, v);
        if (before != null) {
            for (MemberId m : before.members()) {
                if (!v.contains(m) && v.members().stream().noneMatch(x -> x.name().equals(m.name()))) {
                    transport.forget(m.name());
                }
            }
        }
        view = v;
        phase = Phase.MEMBER;
        app.execute(() -> {
            for (GroupListener l : listeners) {
                l.onView(v);
            }
            joined.complete(v);
        });
    }

    private void logView(View before, View v) {
        List<MemberId> joinedNow = new ArrayList<>(v.members());
        List<String> departed = new ArrayList<>();
        if (before != null) {
            joinedNow.removeAll(before.members());
            for (MemberId m : before.members()) {
                if (!v.contains(m)) {
                    departed.add(m + (detector.suspects(m) ? " (suspected here)" : ""));
                }
            }
        }
        LOG.info("{}: installed view {} {}{}{}", core.self(), v.viewId(), v.members(),
                joinedNow.isEmpty() || before == null ? "" : "; joined " + joinedNow,
                departed.isEmpty() ? "" : "; departed " + departed);
    }

    /**
     * Joiner: passes a chunk of state on to the consumer, which the first chunk (offset 0) starts
     * on the application executor and which reads the chunks as they come through a
     * {@link StateHandoff}. Never blocks: while the consumer is behind, the chunks it has not read
     * count toward the inbound back-pressure ({@link #onFrames}), so the transport stops reading
     * and the state in memory stays within a few megabytes, whatever its size.
     */
    private void stateChunk(Effect.StateChunkReceived c) {
        StateHandoff handoff = incomingState;
        if (c.offset() == 0) {
            // A new transfer (a new view or donor) replaces one that did not finish.
            abortIncomingState("a new state transfer for view " + c.viewId() + " replaced it");
            handoff = new StateHandoff(INBOUND_BACKLOG_HIGH_BYTES, INBOUND_BACKLOG_LOW_BYTES, this::stateDrained);
            incomingState = handoff;
            startStateConsumer(handoff, core);
        }
        if (handoff == null || !handoff.receiving()) {
            // Aborted (the member is closing), or no transfer began: the core checks offsets, so
            // the latter cannot happen; never let it take the member down.
            if (handoff == null || !handoff.aborted()) {
                LOG.warn("{}: a state chunk at offset {} for view {} without a transfer in progress; dropped", self,
                        c.offset(), c.viewId());
            }
            return;
        }
        handoff.offer(c.bytes(), c.last());
    }

    /** Runs the consumer of one transfer on the application executor; it reads while the chunks arrive. */
    private void startStateConsumer(StateHandoff handoff, GroupMember joinerCore) {
        long start = System.nanoTime();
        app.execute(() -> {
            try (InputStream in = handoff) {
                stateConsumer.readState(in);
                if (!handoff.aborted()) {
                    metrics.stateBytes(GroupMetrics.Role.JOINER, handoff.received());
                    metrics.stateDuration(GroupMetrics.Role.JOINER, System.nanoTime() - start);
                }
            } catch (IOException | RuntimeException e) {
                if (handoff.aborted()) {
                    // Superseded by a newer transfer, or this incarnation is over: nothing to leave.
                    LOG.info("{}: a state transfer was abandoned while its consumer read it: {}", joinerCore.self(),
                            e.getMessage());
                    return;
                }
                metrics.stateFailure();
                LOG.error("{}: the state consumer failed; leaving the group rather than running with wrong state",
                        joinerCore.self(), e);
                loop.execute(() -> {
                    if (core == joinerCore) {
                        core.leave();
                    }
                });
            }
        });
    }

    /**
     * The state consumer took its buffer below the low mark (any thread): wake the protocol
     * thread, whose next batch resumes reading from the network if nothing else holds it back.
     */
    private void stateDrained() {
        loop.execute(() -> { });
    }

    /** @return bytes of state received and not yet read by the consumer (any thread) */
    private long stateBacklog() {
        StateHandoff h = incomingState;
        return h == null ? 0 : h.buffered();
    }

    /** @return whether a state transfer has begun and not yet ended (protocol thread) */
    private boolean receivingState() {
        StateHandoff h = incomingState;
        return h != null && h.receiving();
    }

    /**
     * Fails the consumer of an unfinished state transfer with an IOException (any thread). A
     * transfer whose last chunk came is left to its consumer.
     */
    private void abortIncomingState(String reason) {
        StateHandoff h = incomingState;
        if (h != null && h.abort(reason)) {
            LOG.info("{}: aborted the state transfer in progress after {} bytes: {}", self, h.received(), reason);
        }
    }

    /**
     * Waits (up to a round of the caller's loop) for room in the window; gives the in-flight permit
     * back if there is none, so the caller's loop can check whether to give up.
     */
    private boolean awaitWindow(StateSendWindow window, GroupMember donorCore, Semaphore inFlight)
            throws InterruptedException {
        if (window.awaitRoom(10) || closed || core != donorCore) {
            return true;
        }
        inFlight.release();
        return false;
    }

    /** Donor side, on the application executor: writes the state in chunks handed to the protocol thread. */
    private void streamState(GroupMember donorCore, StateRequest request) {
        StateProvider.Deferred deferred;
        try {
            deferred = stateProvider.defer(request);
        } catch (IOException | RuntimeException e) {
            donorFailed(donorCore, request.joiner(), e);
            return;
        }
        if (deferred == null) {
            sendState(donorCore, request, out -> stateProvider.writeState(out, request));
            return;
        }
        // Captured at the cut; written while the application executor goes on with deliveries.
        try {
            stateSender().execute(() -> sendState(donorCore, request, deferred));
        } catch (RejectedExecutionException e) {
            donorFailed(donorCore, request.joiner(), new IOException("the member is closing", e));
        }
    }

    /** The thread that writes deferred states to joiners (created on first use). */
    private synchronized ExecutorService stateSender() {
        if (stateSender == null) {
            stateSender = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "cohort-state-" + config.memberName());
                t.setDaemon(true);
                return t;
            });
        }
        return stateSender;
    }

    private void donorFailed(GroupMember donorCore, MemberId joiner, Throwable e) {
        metrics.stateFailure();
        LOG.error("{}: the state provider failed while sending state to {}; leaving so another member donates",
                donorCore.self(), joiner, e);
        loop.execute(() -> {
            if (core == donorCore) {
                core.leave();
            }
        });
    }

    /** Writes a state in chunks handed to the protocol thread, no faster than the joiner takes them. */
    private void sendState(GroupMember donorCore, StateRequest request, StateProvider.Deferred writer) {
        MemberId joiner = request.joiner();
        long viewId = request.viewId();
        long start = System.nanoTime();
        Semaphore inFlight = new Semaphore(STATE_CHUNKS_IN_FLIGHT);
        // Below the per-peer outbound queue, so that a joiner reading slowly never makes the
        // transport drop (and the link resend) state chunks.
        StateSendWindow window = new StateSendWindow(Math.min(STATE_WINDOW_BYTES, config.outboundQueueBytes() / 2));
        loop.execute(() -> stateSends.put(joiner, window));
        ChunkingOutputStream out = new ChunkingOutputStream(config.stateChunkBytes(), (bytes, last) -> {
            try {
                while (!inFlight.tryAcquire(10, TimeUnit.MILLISECONDS) || !awaitWindow(window, donorCore, inFlight)) {
                    if (closed || core != donorCore) {
                        throw new IOException("the donor closed or left the group during the state transfer");
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while sending state");
            }
            if (closed || core != donorCore) {
                inFlight.release();
                throw new IOException("the donor closed or left the group during the state transfer");
            }
            window.handedOver(bytes.length);
            loop.execute(() -> {
                try {
                    if (core == donorCore) {
                        donorCore.sendStateChunk(joiner, viewId, bytes, last);
                        window.unacknowledged(donorCore.unacknowledgedBytesTo(joiner));
                    }
                } finally {
                    inFlight.release();
                }
            });
        });
        try {
            writer.writeTo(out);
            out.finish();
            loop.execute(() -> stateSends.remove(joiner, window));
            metrics.stateBytes(GroupMetrics.Role.DONOR, out.total());
            metrics.stateDuration(GroupMetrics.Role.DONOR, System.nanoTime() - start);
            LOG.info("{}: sent {} bytes of state to {} for view {}", donorCore.self(), out.total(), joiner, viewId);
        } catch (IOException | RuntimeException | LinkageError e) {
            // A linkage error too (a class missing at run time): the joiner must not wait forever
            // for a donor whose writer died.
            loop.execute(() -> stateSends.remove(joiner, window));
            donorFailed(donorCore, joiner, e);
        }
    }

    private void excluded(long lastViewId) {
        MemberId old = core.self();
        abortIncomingState("the group excluded this member");
        metrics.excluded();
        LOG.warn("{}: the group excluded this member after view {}{}", old, lastViewId,
                rejoinAfterExclusion && !leaveRequested && !closed ? "; rejoining as a new incarnation" : "");
        view = null;
        app.execute(() -> listeners.forEach(l -> l.onExcluded(old, lastViewId)));
        if (!rejoinAfterExclusion || leaveRequested || closed) {
            phase = Phase.DONE;
            if (leaveRequested) {
                app.execute(() -> left.complete(null));
            }
            return;
        }
        restartAsNextIncarnation();
    }

    /** Continues as a fresh protocol core under the next incarnation, and looks for the group again. */
    private void restartAsNextIncarnation() {
        ProtocolCounters counts = core.counters();
        for (ProtocolCounters.Kind k : ProtocolCounters.Kind.values()) {
            countsOfEarlierIncarnations[k.ordinal()] += counts.get(k);
        }
        // Multicasts still queued in the abandoned core: they were never sent.
        for (Effect e : abandon(core)) {
            carryOut(e);
        }
        MemberId next = core.self().nextIncarnation();
        self = next;
        core = new GroupMember(next, protocolConfig);
        abortIncomingState("this member restarted as " + next);
        incomingState = null;
        detector.reset();
        transport.announceIncarnation(next.incarnation());
        app.execute(() -> listeners.forEach(l -> l.onIncarnation(next)));
        startDiscovery();
    }

    /** Ends an incarnation that never became a member: its queued multicasts abort as NOT_SENT. */
    private static List<Effect> abandon(GroupMember c) {
        if (c.status() != GroupMember.Status.JOINING && c.status() != GroupMember.Status.IDLE) {
            return List.of();
        }
        c.leave();
        return c.takeEffects().stream().filter(e -> e instanceof Effect.MulticastAborted).toList();
    }

    private double count(ProtocolCounters.Kind kind) {
        return countsOfEarlierIncarnations[kind.ordinal()] + core.counters().get(kind);
    }

    private void toApp(Consumer<GroupListener> call) {
        if (listeners.isEmpty()) {
            return;
        }
        app.execute(() -> {
            for (GroupListener l : listeners) {
                call.accept(l);
            }
        });
    }
}
