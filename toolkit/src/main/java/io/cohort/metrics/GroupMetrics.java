package io.cohort.metrics;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MulticastOutcome;
import io.cohort.protocol.ProtocolCounters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * A group member's meters (listed in docs/metrics.md). Every meter carries the tag
 * {@code member} (the configured member name); other tags are small fixed sets.
 */
public final class GroupMetrics {

    /** Role in a state transfer. */
    public enum Role {
        /** Sends its state. */
        DONOR,
        /** Receives state. */
        JOINER
    }

    private final Map<DeliveryOrder, Counter> sent = new EnumMap<>(DeliveryOrder.class);
    private final Map<DeliveryOrder, Counter> sentBytes = new EnumMap<>(DeliveryOrder.class);
    private final Map<DeliveryOrder, Counter> delivered = new EnumMap<>(DeliveryOrder.class);
    private final Map<DeliveryOrder, Counter> deliveredBytes = new EnumMap<>(DeliveryOrder.class);
    private final Map<DeliveryOrder, Timer> latency = new EnumMap<>(DeliveryOrder.class);
    private final Map<MulticastOutcome, Counter> aborted = new EnumMap<>(MulticastOutcome.class);
    private final Map<Role, Counter> stateBytes = new EnumMap<>(Role.class);
    private final Map<Role, Timer> stateDuration = new EnumMap<>(Role.class);
    private final Counter suspicions;
    private final Counter viewsConfirmed;
    private final Counter viewsNotConfirmed;
    private final Counter viewsInstalled;
    private final Counter exclusions;
    private final Counter stateFailures;
    private final Timer viewChange;
    private final Timer flush;

    /**
     * @param registry where the meters go
     * @param tags     common tags
     */
    public GroupMetrics(MeterRegistry registry, Tags tags) {
        for (DeliveryOrder o : DeliveryOrder.values()) {
            Tags t = tags.and("order", lower(o));
            sent.put(o, Counter.builder("cohort.multicast.sent").description("Multicasts sent by this member")
                    .tags(t).register(registry));
            sentBytes.put(o, Counter.builder("cohort.multicast.sent.bytes").baseUnit("bytes")
                    .description("Payload bytes of multicasts sent by this member").tags(t).register(registry));
            delivered.put(o, Counter.builder("cohort.multicast.delivered")
                    .description("Multicasts delivered to the application").tags(t).register(registry));
            deliveredBytes.put(o, Counter.builder("cohort.multicast.delivered.bytes").baseUnit("bytes")
                    .description("Payload bytes delivered to the application").tags(t).register(registry));
            latency.put(o, Timer.builder("cohort.multicast.latency")
                    .description("From multicast() to this member's own delivery of the message")
                    .publishPercentiles(0.5, 0.99, 0.999).tags(t).register(registry));
        }
        for (MulticastOutcome m : MulticastOutcome.values()) {
            if (m != MulticastOutcome.DELIVERED) {
                aborted.put(m, Counter.builder("cohort.multicast.aborted")
                        .description("Own multicasts that will not be delivered here, by outcome")
                        .tags(tags.and("outcome", lower(m))).register(registry));
            }
        }
        for (Role r : Role.values()) {
            Tags t = tags.and("role", lower(r));
            stateBytes.put(r, Counter.builder("cohort.statetransfer.bytes").baseUnit("bytes")
                    .description("State-transfer bytes sent (donor) or received (joiner)").tags(t).register(registry));
            stateDuration.put(r, Timer.builder("cohort.statetransfer.duration")
                    .description("Donor: writing and sending the state; joiner: first chunk to installed state")
                    .tags(t).register(registry));
        }
        viewsConfirmed = Counter.builder("cohort.membership.view.confirmations")
                .description("Rounds proving the view current (for linearizable reads), by outcome")
                .tags(tags.and("outcome", "confirmed")).register(registry);
        viewsNotConfirmed = Counter.builder("cohort.membership.view.confirmations")
                .description("Rounds proving the view current (for linearizable reads), by outcome")
                .tags(tags.and("outcome", "failed")).register(registry);
        suspicions = Counter.builder("cohort.membership.suspicions")
                .description("Members this member's failure detector suspected").tags(tags).register(registry);
        viewsInstalled = Counter.builder("cohort.membership.views.installed")
                .description("Views installed").tags(tags).register(registry);
        exclusions = Counter.builder("cohort.membership.exclusions")
                .description("Times this member learned that the group excluded it").tags(tags).register(registry);
        stateFailures = Counter.builder("cohort.statetransfer.failures")
                .description("State providers or consumers that threw").tags(tags).register(registry);
        viewChange = Timer.builder("cohort.membership.view.change.duration")
                .description("From the first sign of a view change here (suspicion, or wedge) to the new view")
                .publishPercentiles(0.5, 0.99).tags(tags).register(registry);
        flush = Timer.builder("cohort.membership.flush.duration")
                .description("From wedging (sending and delivery stopped) to the new view")
                .publishPercentiles(0.5, 0.99).tags(tags).register(registry);
    }

    /**
     * Registers meters that read the protocol core's counters.
     *
     * @param registry where they go
     * @param tags     common tags
     * @param counts   reads the total count of a kind, over all incarnations
     * @param retained messages of the current view held in memory
     * @param viewId   the current view id
     * @param viewSize the current view's size
     * @param inFlight own multicasts not yet delivered
     * @param backlog  callbacks waiting for the application executor
     */
    public static void registerGauges(MeterRegistry registry, Tags tags, ToDoubleFunction<ProtocolCounters.Kind> counts,
                                      java.util.function.Supplier<Number> retained,
                                      java.util.function.Supplier<Number> viewId,
                                      java.util.function.Supplier<Number> viewSize,
                                      java.util.function.Supplier<Number> inFlight,
                                      java.util.function.Supplier<Number> backlog) {
        for (ProtocolCounters.Kind k : ProtocolCounters.Kind.values()) {
            if (k == ProtocolCounters.Kind.RETRANSMISSION) {
                FunctionCounter.builder("cohort.protocol.retransmissions", k, counts)
                        .description("Frames resent because they were not acknowledged in time").tags(tags)
                        .register(registry);
            } else {
                FunctionCounter.builder("cohort.protocol.events", k, counts)
                        .description("Protocol input ignored or unusual events, by kind (bad or stale frames are"
                                + " counted here and dropped)")
                        .tags(tags.and("kind", k.name().toLowerCase(Locale.ROOT).replace('_', '-')))
                        .register(registry);
            }
        }
        Gauge.builder("cohort.multicast.retained", retained).description("Messages of the current view held in memory")
                .tags(tags).register(registry);
        Gauge.builder("cohort.membership.view.id", viewId).description("Current view id").tags(tags).register(registry);
        Gauge.builder("cohort.membership.view.size", viewSize).description("Members in the current view").tags(tags)
                .register(registry);
        Gauge.builder("cohort.multicast.in.flight", inFlight)
                .description("Own multicasts not yet delivered or aborted (bounded by maxInFlightMulticasts)")
                .tags(tags).register(registry);
        Gauge.builder("cohort.application.backlog", backlog)
                .description("Callbacks waiting for the application executor").tags(tags).register(registry);
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    /** @param order order of an own multicast handed to the core
     *  @param bytes its payload size */
    public void sent(DeliveryOrder order, int bytes) {
        sent.get(order).increment();
        sentBytes.get(order).increment(bytes);
    }

    /** @param order order of a delivered message
     *  @param bytes its payload size */
    public void delivered(DeliveryOrder order, int bytes) {
        delivered.get(order).increment();
        deliveredBytes.get(order).increment(bytes);
    }

    /** @param order order of an own message delivered here
     *  @param nanos time since multicast() */
    public void ownLatency(DeliveryOrder order, long nanos) {
        latency.get(order).record(nanos, TimeUnit.NANOSECONDS);
    }

    /** @param outcome outcome of an aborted own multicast */
    public void aborted(MulticastOutcome outcome) {
        Counter c = aborted.get(outcome);
        if (c != null) {
            c.increment();
        }
    }

    /** The failure detector suspected a member. */
    public void suspicion() {
        suspicions.increment();
    }

    /**
     * A view was installed.
     *
     * @param sinceTrigger time since the change was first noticed here, or null if not noticed (e.g. first view)
     * @param sinceWedge   time since wedging, or null
     */
    public void viewInstalled(Duration sinceTrigger, Duration sinceWedge) {
        viewsInstalled.increment();
        if (sinceTrigger != null) {
            viewChange.record(sinceTrigger);
        }
        if (sinceWedge != null) {
            flush.record(sinceWedge);
        }
    }

    /** @param confirmed whether a view-confirmation round succeeded */
    public void viewConfirmation(boolean confirmed) {
        (confirmed ? viewsConfirmed : viewsNotConfirmed).increment();
    }

    /** This member was excluded. */
    public void excluded() {
        exclusions.increment();
    }

    /** @param role donor or joiner
     *  @param bytes state bytes moved */
    public void stateBytes(Role role, long bytes) {
        stateBytes.get(role).increment(bytes);
    }

    /** @param role  donor or joiner
     *  @param nanos how long the transfer took */
    public void stateDuration(Role role, long nanos) {
        stateDuration.get(role).record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A state provider or consumer threw. */
    public void stateFailure() {
        stateFailures.increment();
    }
}
