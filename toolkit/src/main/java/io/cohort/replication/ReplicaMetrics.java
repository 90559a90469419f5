package io.cohort.replication;

import io.cohort.replication.core.ReplicaObserver;
import io.cohort.replication.wire.ResponseStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The meters of one replica, fed by its {@link io.cohort.replication.core.ReplicaCore} (as its
 * {@link ReplicaObserver}) and by the runtime's timings. Every meter carries the tag
 * {@code member}; the others are bounded enums.
 */
final class ReplicaMetrics implements ReplicaObserver {

    private static final Logger LOG = LoggerFactory.getLogger(ReplicaMetrics.class);

    private final Counter submitted;
    private final Counter applied;
    private final Counter deduplicated;
    private final Map<ResponseStatus, Counter> rejected = new EnumMap<>(ResponseStatus.class);
    private final Map<ReadConsistency, Counter> reads = new EnumMap<>(ReadConsistency.class);
    private final Map<ReadConsistency, Timer> readLatency = new EnumMap<>(ReadConsistency.class);
    private final Timer applyLatency;
    private final Timer captureLatency;
    private final Timer commandLatency;
    private final Counter checksMatched;
    private final Counter checksMismatched;
    private final Counter divergences;
    private final Counter malformed;
    private final Counter hashFailures;
    private final String member;

    ReplicaMetrics(MeterRegistry registry, Tags tags, String member) {
        this.member = member;
        submitted = Counter.builder("cohort.replication.commands.submitted")
                .description("Client commands accepted here and sent into the group").tags(tags).register(registry);
        applied = Counter.builder("cohort.replication.commands.applied")
                .description("Commands and updates applied to the state machine here").tags(tags).register(registry);
        deduplicated = Counter.builder("cohort.replication.commands.deduplicated")
                .description("Retried commands answered from the session table instead of applied again")
                .tags(tags).register(registry);
        for (ResponseStatus s : ResponseStatus.values()) {
            if (s != ResponseStatus.OK) {
                rejected.put(s, Counter.builder("cohort.replication.requests.rejected")
                        .description("Requests answered without success, by status")
                        .tags(tags.and("status", s.name().toLowerCase())).register(registry));
            }
        }
        for (ReadConsistency c : ReadConsistency.values()) {
            Tags t = tags.and("consistency", c.name().toLowerCase());
            reads.put(c, Counter.builder("cohort.replication.reads").description("Queries answered, by consistency")
                    .tags(t).register(registry));
            readLatency.put(c, Timer.builder("cohort.replication.read.latency")
                    .description("From a query's arrival to its answer, by consistency").tags(t).register(registry));
        }
        applyLatency = Timer.builder("cohort.replication.apply.latency")
                .description("Time to apply one delivered entry on the apply thread").tags(tags).register(registry);
        captureLatency = Timer.builder("cohort.replication.checkpoint.capture.latency")
                .description("Time the apply thread spends capturing the state for a checkpoint (the pause a"
                        + " checkpoint costs it)").tags(tags).register(registry);
        commandLatency = Timer.builder("cohort.replication.command.latency")
                .description("From a command's arrival here to its answer").tags(tags).register(registry);
        checksMatched = Counter.builder("cohort.replication.divergence.checks")
                .description("Comparisons of this replica's state hash with another's at the same index, by outcome")
                .tags(tags.and("outcome", "match")).register(registry);
        checksMismatched = Counter.builder("cohort.replication.divergence.checks")
                .description("Comparisons of this replica's state hash with another's at the same index, by outcome")
                .tags(tags.and("outcome", "mismatch")).register(registry);
        divergences = Counter.builder("cohort.replication.divergence.detected")
                .description("Times a majority agreed on a state hash different from this replica's")
                .tags(tags).register(registry);
        hashFailures = Counter.builder("cohort.replication.divergence.hash.failures")
                .description("State hashes that could not be taken because writeSnapshot threw (check skipped)")
                .tags(tags).register(registry);
        malformed = Counter.builder("cohort.replication.entries.malformed")
                .description("Delivered group messages that were not replication entries (ignored)")
                .tags(tags).register(registry);
    }

    @Override
    public void submitted() {
        submitted.increment();
    }

    @Override
    public void applied(long clientId, long sequence, long index) {
        applied.increment();
    }

    @Override
    public void deduplicated() {
        deduplicated.increment();
    }

    @Override
    public void rejected(ResponseStatus status) {
        Counter c = rejected.get(status);
        if (c != null) {
            c.increment();
        }
    }

    @Override
    public void readAnswered(ReadConsistency consistency) {
        reads.get(consistency).increment();
    }

    @Override
    public void divergenceCheck(boolean match) {
        (match ? checksMatched : checksMismatched).increment();
    }

    @Override
    public void hashFailed(long index, RuntimeException failure) {
        hashFailures.increment();
        LOG.error("{}: could not hash the state at applied index {} (writeSnapshot threw); check skipped",
                member, index, failure);
    }

    void divergent() {
        divergences.increment();
    }

    void malformedEntry() {
        malformed.increment();
    }

    void applyNanos(long nanos) {
        applyLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    void captureNanos(long nanos) {
        captureLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    void commandNanos(long nanos) {
        commandLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    void readNanos(ReadConsistency consistency, long nanos) {
        readLatency.get(consistency).record(nanos, TimeUnit.NANOSECONDS);
    }
}
