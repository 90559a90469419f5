package io.cohort.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/** The transport's meters (listed in docs/metrics.md). */
public final class TransportMetrics {

    /** Why an outbound frame was not queued. */
    public enum DropReason {
        /** The peer's outbound queue was full (slow or dead peer). */
        QUEUE_FULL,
        /** The frame is larger than the maximum frame size. */
        TOO_LARGE
    }

    private final MeterRegistry registry;
    private final Tags tags;
    private final Counter bytesSent;
    private final Counter bytesReceived;
    private final Counter envelopesSent;
    private final Counter envelopesReceived;
    private final Counter connectsFailed;
    private final Counter connectionsOpened;
    private final Map<DropReason, Counter> dropped = new EnumMap<>(DropReason.class);

    /**
     * @param registry where meters go
     * @param tags     common tags (the member)
     */
    public TransportMetrics(MeterRegistry registry, Tags tags) {
        this.registry = registry;
        this.tags = tags;
        bytesSent = Counter.builder("cohort.transport.bytes.sent").baseUnit("bytes")
                .description("Bytes written to peer connections").tags(tags).register(registry);
        bytesReceived = Counter.builder("cohort.transport.bytes.received").baseUnit("bytes")
                .description("Bytes read from peer connections").tags(tags).register(registry);
        envelopesSent = Counter.builder("cohort.transport.envelopes.sent")
                .description("Envelopes (batches of frames) written").tags(tags).register(registry);
        envelopesReceived = Counter.builder("cohort.transport.envelopes.received")
                .description("Valid envelopes read").tags(tags).register(registry);
        connectsFailed = Counter.builder("cohort.transport.connect.failures")
                .description("Dials that failed (peer down or unreachable)").tags(tags).register(registry);
        connectionsOpened = Counter.builder("cohort.transport.connections.opened")
                .description("Connections that completed the HELLO handshake").tags(tags).register(registry);
        for (DropReason r : DropReason.values()) {
            dropped.put(r, Counter.builder("cohort.transport.frames.dropped")
                    .description("Outbound frames dropped before sending; the protocol resends them")
                    .tags(tags).tag("reason", r.name().toLowerCase(Locale.ROOT).replace('_', '-'))
                    .register(registry));
        }
    }

    /**
     * Registers the rejection counter for every reason up front, so that a dashboard shows zeros
     * rather than nothing.
     *
     * @param reasonTags every reason's tag value
     */
    public void registerRejectionReasons(Iterable<String> reasonTags) {
        for (String tag : reasonTags) {
            Counter.builder("cohort.transport.rejected")
                    .description("Inbound envelopes refused (the connection is closed)")
                    .tags(tags).tag("reason", tag).register(registry);
        }
    }

    /**
     * Counts a rejected inbound envelope or connection.
     *
     * @param reasonTag the reason's tag value
     */
    public void rejected(String reasonTag) {
        Counter.builder("cohort.transport.rejected")
                .description("Inbound envelopes refused (the connection is closed)")
                .tags(tags).tag("reason", reasonTag).register(registry).increment();
    }

    /**
     * Registers the gauges that read the transport's state.
     *
     * @param queuedBytes bytes waiting in outbound queues
     * @param connections open peer connections
     * @param sockets     open TCP connections of any state (handshaking, duplicates being closed)
     */
    public void gauges(Supplier<Number> queuedBytes, Supplier<Number> connections, Supplier<Number> sockets) {
        Gauge.builder("cohort.transport.sockets", sockets)
                .description("Open TCP connections, including ones still in their handshake or closing as duplicates")
                .tags(tags).register(registry);
        Gauge.builder("cohort.transport.outbound.queue.bytes", queuedBytes)
                .description("Bytes waiting in outbound queues, all peers").baseUnit("bytes").tags(tags)
                .register(registry);
        Gauge.builder("cohort.transport.connections", connections)
                .description("Peer connections past the handshake").tags(tags).register(registry);
    }

    /** @param bytes bytes written */
    public void sent(int bytes) {
        bytesSent.increment(bytes);
        envelopesSent.increment();
    }

    /** @param bytes bytes of a valid envelope read */
    public void received(int bytes) {
        bytesReceived.increment(bytes);
        envelopesReceived.increment();
    }

    /** @param reason why a frame was dropped */
    public void dropped(DropReason reason) {
        dropped.get(reason).increment();
    }

    /** A dial failed. */
    public void connectFailed() {
        connectsFailed.increment();
    }

    /** A connection completed its handshake. */
    public void connectionOpened() {
        connectionsOpened.increment();
    }
}
