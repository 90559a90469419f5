package io.cohort.recovery;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import java.util.concurrent.TimeUnit;

/** The durable storage's own meters (the log and the checkpoint store register theirs). */
final class RecoveryMetrics {

    /** Which way a catch-up went. */
    enum Role { DONOR, JOINER }

    private final MeterRegistry registry;
    private final Tags tags;
    private final Timer recoveryDuration;
    private final Counter replayed;

    RecoveryMetrics(MeterRegistry registry, Tags tags) {
        this.registry = registry;
        this.tags = tags;
        this.recoveryDuration = Timer.builder("cohort.recovery.duration")
                .description("Time to restore the newest valid checkpoint and replay the log at start-up")
                .tags(tags).register(registry);
        this.replayed = Counter.builder("cohort.recovery.replayed")
                .description("Log entries replayed at start-up").tags(tags).register(registry);
    }

    void recovered(long nanos, long entries) {
        recoveryDuration.record(nanos, TimeUnit.NANOSECONDS);
        replayed.increment(entries);
    }

    /**
     * @param role  donor or joiner
     * @param kind  suffix, snapshot (checkpoint from disk) or live
     * @param bytes bytes of the catch-up stream
     * @param nanos how long it took
     */
    void caughtUp(Role role, CatchUpKind kind, long bytes, long nanos) {
        Tags t = tags.and("role", role.name().toLowerCase(java.util.Locale.ROOT), "kind", kind.tag());
        Counter.builder("cohort.recovery.catchup").description("Catch-ups of a joining replica, by how they were done")
                .tags(t).register(registry).increment();
        DistributionSummary.builder("cohort.recovery.catchup.bytes").description("Bytes of a catch-up stream")
                .baseUnit(BaseUnits.BYTES).tags(t).register(registry).record(bytes);
        Timer.builder("cohort.recovery.catchup.duration").description("Time to write (donor) or read (joiner) a catch-up")
                .tags(t).register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Same tags as the log's and checkpoint store's corruption counters (file, kind; no member), so
     * that every registry, Prometheus's included, accepts them as one meter.
     */
    void corruption(String file, String kind) {
        Counter.builder("cohort.recovery.corruption").description("Corrupt or missing durable files detected")
                .tags("file", file, "kind", kind).register(registry).increment();
    }
}
