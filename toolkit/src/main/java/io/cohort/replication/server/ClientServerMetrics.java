package io.cohort.replication.server;

import io.cohort.replication.wire.ClientRequest;
import io.cohort.replication.wire.ResponseStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The client server's meters, all tagged {@code member}. Every tag value is registered up front so
 * that a dashboard shows zeros rather than nothing.
 */
final class ClientServerMetrics {

    private final MeterRegistry registry;
    private final Gauge connections;
    private final Map<ClientRequest.Kind, Counter> requests = new EnumMap<>(ClientRequest.Kind.class);
    private final Map<ResponseStatus, Counter> responses = new EnumMap<>(ResponseStatus.class);
    private final Counter malformed;

    /**
     * @param registry    where meters go
     * @param member      the member's name (tag {@code member})
     * @param connections reads the number of open client connections
     */
    ClientServerMetrics(MeterRegistry registry, String member, Supplier<Number> connections) {
        this.registry = registry;
        Tags tags = Tags.of("member", member);
        this.connections = Gauge.builder("cohort.client.connections", connections)
                .description("Open client connections").tags(tags).register(registry);
        for (ClientRequest.Kind k : ClientRequest.Kind.values()) {
            requests.put(k, Counter.builder("cohort.client.requests")
                    .description("Client requests decoded").tags(tags).tag("kind", lower(k))
                    .register(registry));
        }
        for (ResponseStatus s : ResponseStatus.values()) {
            responses.put(s, Counter.builder("cohort.client.responses")
                    .description("Responses written to clients").tags(tags).tag("status", lower(s))
                    .register(registry));
        }
        malformed = Counter.builder("cohort.client.malformed")
                .description("Client connections closed because of malformed input").tags(tags).register(registry);
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    void request(ClientRequest.Kind kind) {
        requests.get(kind).increment();
    }

    void response(ResponseStatus status) {
        responses.get(status).increment();
    }

    void malformed() {
        malformed.increment();
    }

    /**
     * Unregisters the gauge: it reads this server's state, so a later server with the same name
     * must be able to register its own (counters are kept, they only ever add up).
     */
    void close() {
        registry.remove(connections);
    }
}
