package io.cohort.group;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;
import io.cohort.api.Message;
import io.cohort.api.View;
import io.cohort.config.CohortConfig;
import io.cohort.runtime.MemberRuntime;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * A process group member running over TCP: the embedding API of Cohort.
 *
 * <pre>{@code
 * Group group = Group.builder(CohortConfig.builder("orders", "node-1").bindPort(7601)
 *                 .seeds("127.0.0.1:7601", "127.0.0.1:7602", "127.0.0.1:7603").build())
 *         .listener(new GroupListener() {
 *             public void onDelivery(Message m) { apply(m.payload()); }
 *             public void onView(View v) { log.info("view {}", v); }
 *         })
 *         .stateTransfer(out -> writeMyState(out), in -> readMyState(in))
 *         .build();
 * group.join();
 * group.multicast(DeliveryOrder.TOTAL, bytes).thenAccept(m -> log.info("delivered in view {}", m.viewId()));
 * }</pre>
 *
 * <p>Threads: one protocol thread per group runs the protocol core; Netty event loops do the
 * I/O; every listener, state callback and future completion runs on the application executor,
 * one at a time and in order. Methods of this class are thread-safe.
 */
public final class Group implements AutoCloseable {

    private final MemberRuntime runtime;

    private Group(MemberRuntime runtime) {
        this.runtime = runtime;
    }

    /**
     * @param config the member's configuration
     * @return a builder
     */
    public static Builder builder(CohortConfig config) {
        return new Builder(config);
    }

    /**
     * Starts the member and joins the group named in the configuration, or starts the group if
     * no member of it is running (see docs/embedding.md for the start-up rule). Completes when
     * the first view is installed.
     *
     * @return a future of the first view
     */
    public CompletableFuture<View> joinAsync() {
        return runtime.join();
    }

    /**
     * Blocking {@link #joinAsync()}.
     *
     * @param timeout how long to wait
     * @return the first view
     * @throws TimeoutException if no view was installed in time (the member keeps trying)
     * @throws InterruptedException if interrupted while waiting
     */
    public View join(Duration timeout) throws TimeoutException, InterruptedException {
        refuseOnApplicationThread("join()", "joinAsync()");
        return await(joinAsync(), timeout);
    }

    /**
     * Multicasts {@code payload} to the group in the given order. The future completes on this
     * member's own delivery of the message (for {@link DeliveryOrder#SAFE}: once every member of
     * the view holds it), or fails with a {@link MulticastException} if the message was trimmed at
     * a view change or this member left or was excluded; it never hangs.
     *
     * <p>Flow control: at most {@code maxInFlightMulticasts} multicasts of this member are
     * undelivered at a time; beyond that this call blocks until one completes.
     *
     * @param order   delivery order
     * @param payload the bytes (not copied: do not change them afterwards)
     * @return a future of the message as delivered here
     * @throws IllegalArgumentException if the payload is larger than {@link #maxPayloadBytes()}
     */
    public CompletableFuture<Message> multicast(DeliveryOrder order, byte[] payload) {
        Objects.requireNonNull(order, "order");
        Objects.requireNonNull(payload, "payload");
        return runtime.multicast(order, payload);
    }

    /**
     * Proves that this member's view is still the group's current view, the freshness proof a
     * linearizable read needs, without writing anything into the message sequence: a majority of
     * the view confirms it has not moved on. The future completes on the application executor
     * after every delivery the proof covers (everything this member held when the call was made,
     * which includes every SAFE message delivered anywhere before it), so state read in the
     * completion callback reflects every SAFE multicast completed before this call.
     *
     * @param timeout how long the round may take
     * @return a future of the confirmed view id; fails with {@link ViewNotConfirmedException}
     */
    public CompletableFuture<Long> confirmView(Duration timeout) {
        return runtime.confirmView(Math.max(1, timeout.toMillis()));
    }

    /**
     * Leaves the group cleanly and rejoins at once as the next incarnation, which gets the state
     * afresh by state transfer ({@link GroupListener#onLeft}, then {@link GroupListener#onIncarnation}
     * and the state). For a member that finds its state wrong, for example diverged from the
     * other replicas. Does nothing unless this member is in a view.
     */
    public void rejoin() {
        runtime.rejoin();
    }

    /** @return the largest payload {@link #multicast} accepts (a quarter of {@code maxFrameBytes}) */
    public int maxPayloadBytes() {
        return runtime.maxPayloadBytes();
    }

    /**
     * Multicasts and waits for the local delivery. Must not be called from a listener (it would
     * wait for itself): such a call fails with {@link IllegalStateException}.
     *
     * @param order   delivery order
     * @param payload the bytes
     * @param timeout how long to wait
     * @return the message as delivered here
     * @throws MulticastException   if the message was not delivered here
     * @throws TimeoutException     if it was not delivered in time (it may still be)
     * @throws InterruptedException if interrupted while waiting
     */
    public Message send(DeliveryOrder order, byte[] payload, Duration timeout)
            throws TimeoutException, InterruptedException {
        refuseOnApplicationThread("send()", "multicast()");
        return await(multicast(order, payload), timeout);
    }

    /**
     * Leaves the group cleanly: the group flushes and installs a view without this member, which
     * peers log and count as a leave, not a failure. Pending multicasts complete first or fail
     * with an explicit outcome.
     *
     * @return a future completing once this member is out of the group
     */
    public CompletableFuture<Void> leaveAsync() {
        return runtime.leave();
    }

    /**
     * Blocking {@link #leaveAsync()}.
     *
     * @param timeout how long to wait
     * @throws TimeoutException     if the leave did not complete in time
     * @throws InterruptedException if interrupted while waiting
     */
    public void leave(Duration timeout) throws TimeoutException, InterruptedException {
        refuseOnApplicationThread("leave()", "leaveAsync()");
        await(leaveAsync(), timeout);
    }

    /** @return the current view, or null before the first */
    public View view() {
        return runtime.view();
    }

    /** @return this member's current incarnation */
    public MemberId self() {
        return runtime.self();
    }

    /** @return the address the member listens on */
    public InetSocketAddress localAddress() {
        return runtime.localAddress();
    }

    /**
     * Leaves the group (waiting up to twice the suspect timeout plus a second for the leave to
     * complete) and releases threads and sockets. Pending futures fail with an explicit outcome.
     * Not from a listener (it would wait for itself): there, call {@link #leaveAsync()}.
     */
    @Override
    public void close() {
        refuseOnApplicationThread("close()", "leaveAsync()");
        runtime.close();
    }

    /**
     * Blocking calls wait for work that the application thread itself must do: made from a
     * listener they could only time out, so they are refused at once.
     */
    private void refuseOnApplicationThread(String call, String instead) {
        if (runtime.onApplicationThread()) {
            throw new IllegalStateException(call + " would wait for the application thread it is called on; use "
                    + instead + " in listeners");
        }
    }

    private static <T> T await(CompletableFuture<T> future, Duration timeout)
            throws TimeoutException, InterruptedException {
        try {
            return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(cause);
        }
    }

    /** Builds a {@link Group}. */
    public static final class Builder {
        private final CohortConfig config;
        private final List<GroupListener> listeners = new ArrayList<>();
        private MeterRegistry registry = Metrics.globalRegistry;
        private Executor applicationExecutor;
        private StateProvider stateProvider;
        private StateConsumer stateConsumer;
        private boolean rejoinAfterExclusion = true;
        private LinkFilter linkFilter = LinkFilter.OPEN;
        private Supplier<byte[]> joinHint = () -> new byte[0];
        private Supplier<RecoveryClaim> recoveryClaim = () -> RecoveryClaim.NONE;

        private Builder(CohortConfig config) {
            this.config = Objects.requireNonNull(config, "config");
        }

        /**
         * @param listener receives views, deliveries and membership events (several may be added)
         * @return this
         */
        public Builder listener(GroupListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /**
         * @param registry where the group's meters go (default {@link Metrics#globalRegistry})
         * @return this
         */
        public Builder meterRegistry(MeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * Runs callbacks on the given executor instead of a dedicated thread. Callbacks stay
         * serial and in order whatever the executor's parallelism.
         *
         * @param executor the executor
         * @return this
         */
        public Builder applicationExecutor(Executor executor) {
            this.applicationExecutor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * Sets how state moves to joiners. Without it, joiners start from nothing (fine for
         * groups whose members keep no state).
         *
         * @param provider writes the state at a donor
         * @param consumer reads it at the joiner
         * @return this
         */
        public Builder stateTransfer(StateProvider provider, StateConsumer consumer) {
            this.stateProvider = Objects.requireNonNull(provider, "provider");
            this.stateConsumer = Objects.requireNonNull(consumer, "consumer");
            return this;
        }

        /**
         * @param rejoin whether an excluded member comes back by itself as a new incarnation (default true)
         * @return this
         */
        public Builder rejoinAfterExclusion(boolean rejoin) {
            this.rejoinAfterExclusion = rejoin;
            return this;
        }

        /**
         * Injects faults for tests: traffic with peers the filter refuses is dropped both ways at
         * this member. Never set one in production.
         *
         * @param filter which peers' traffic gets through (default: all)
         * @return this
         */
        public Builder linkFilter(LinkFilter filter) {
            this.linkFilter = Objects.requireNonNull(filter, "filter");
            return this;
        }

        /**
         * Bytes sent with every join request and handed to the donor as
         * {@link StateRequest#joinerHint()}: for example how much of the state this member still
         * has on disk after a restart. Read once per join (and rejoin), on the protocol thread.
         *
         * @param hint supplies the hint, at most 1024 bytes; must be thread-safe
         * @return this
         */
        public Builder joinHint(Supplier<byte[]> hint) {
            this.joinHint = Objects.requireNonNull(hint, "hint");
            return this;
        }

        /**
         * What this member holds on disk when it starts (or rejoins), announced during discovery:
         * after a total failure the group restarts from the best claim among a majority of the
         * last view. Members without durable state leave the default, {@link RecoveryClaim#NONE}.
         *
         * @param claim supplies the claim; read once per discovery, on the protocol thread
         * @return this
         */
        public Builder recoveryClaim(Supplier<RecoveryClaim> claim) {
            this.recoveryClaim = Objects.requireNonNull(claim, "claim");
            return this;
        }

        /**
         * Binds the port and starts the threads; call {@link Group#joinAsync()} to take part.
         *
         * @return the group member
         */
        public Group build() {
            StateProvider provider = stateProvider != null ? stateProvider : out -> { };
            StateConsumer consumer = stateConsumer != null ? stateConsumer : in -> { };
            MemberRuntime runtime = MemberRuntime.start(config, registry, applicationExecutor, listeners, provider,
                    consumer, rejoinAfterExclusion);
            runtime.linkFilter(linkFilter);
            runtime.joinHint(joinHint);
            runtime.recoveryClaim(recoveryClaim);
            return new Group(runtime);
        }
    }
}
