package io.cohort.client;

import io.cohort.replication.wire.ClientRequest;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The client's meters. No client id tag: it would make the tag set unbounded. */
final class ClientMetrics {

    private final Counter failovers;
    private final Counter retries;
    private final Map<ClientRequest.Kind, Timer> latency = new EnumMap<>(ClientRequest.Kind.class);

    /** @param registry where meters go */
    ClientMetrics(MeterRegistry registry) {
        failovers = Counter.builder("cohort.client.failovers")
                .description("Times a client left a replica (connection lost or refused, retriable answer,"
                        + " no answer in time) for the next one")
                .register(registry);
        retries = Counter.builder("cohort.client.retries")
                .description("Requests sent again, with the same client id and sequence, after a failover")
                .register(registry);
        for (ClientRequest.Kind k : ClientRequest.Kind.values()) {
            latency.put(k, Timer.builder("cohort.client.request.latency")
                    .description("From submission to a replica's final answer, failovers included")
                    .tag("kind", k.name().toLowerCase(Locale.ROOT))
                    .register(registry));
        }
    }

    void failover() {
        failovers.increment();
    }

    void retry() {
        retries.increment();
    }

    void latency(ClientRequest.Kind kind, long nanos) {
        latency.get(kind).record(nanos, TimeUnit.NANOSECONDS);
    }
}
