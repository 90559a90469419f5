package io.cohort.simulation.replica;

import io.cohort.protocol.ProtocolVariant;
import io.cohort.replication.ReplicationMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The replica simulator on a small deterministic machine: every replication mode keeps every
 * guarantee under faults, a seed replays exactly, and every deliberately broken protocol variant
 * is caught by the replica checks. Soak: {@code -Dcohort.replica.seeds=N}.
 */
class ReplicaSimulationTest {

    private static final long SEEDS = Long.getLong("cohort.replica.seeds", 150);

    @ParameterizedTest
    @EnumSource(ReplicationMode.class)
    void everyModeKeepsTheGuaranteesUnderFaults(ReplicationMode mode) throws Exception {
        List<ReplicaSimulation.Result> results = runAll(ReplicaRunConfig.defaults(mode), 1, SEEDS);

        List<String> failed = new ArrayList<>();
        int crashes = 0;
        int partitions = 0;
        int joins = 0;
        int leaves = 0;
        int livenessOwed = 0;
        for (ReplicaSimulation.Result r : results) {
            if (!r.passed()) {
                failed.add(r.summary() + "\n    " + r.violations());
            }
            crashes += r.stats().crashes();
            partitions += r.stats().partitions();
            joins += r.stats().joins();
            leaves += r.stats().leaves();
            livenessOwed += r.history().livenessOwed() ? 1 : 0;
        }
        assertThat(failed).as("runs that broke a guarantee").isEmpty();
        assertThat(List.of(crashes, partitions, joins, leaves)).allMatch(n -> n >= SEEDS);
        assertThat(livenessOwed).isGreaterThanOrEqualTo((int) (SEEDS * 9 / 10));
    }

    @Test
    void aSeedReplaysToTheIdenticalHistory() {
        for (ReplicationMode mode : ReplicationMode.values()) {
            for (long seed : new long[] {3, 41}) {
                ReplicaScenario scenario = ReplicaScenario.fromSeed(seed, ReplicaRunConfig.defaults(mode));
                ReplicaSimulation.Result first = new ReplicaSimulation(scenario, SumMachine.workload()).run();
                ReplicaSimulation.Result again = new ReplicaSimulation(scenario, SumMachine.workload()).run();
                assertThat(again.history().trace()).isEqualTo(first.history().trace());
                assertThat(again.history().digest()).isEqualTo(first.history().digest());
                assertThat(again.stats()).isEqualTo(first.stats());
            }
        }
    }

    @Test
    void differentSeedsGiveDifferentRuns() {
        ReplicaRunConfig config = ReplicaRunConfig.defaults(ReplicationMode.ACTIVE);
        String a = new ReplicaSimulation(ReplicaScenario.fromSeed(1, config), SumMachine.workload()).run().history().digest();
        String b = new ReplicaSimulation(ReplicaScenario.fromSeed(2, config), SumMachine.workload()).run().history().digest();
        assertThat(a).isNotEqualTo(b);
    }

    @ParameterizedTest
    @EnumSource(value = ProtocolVariant.class, names = "CORRECT", mode = EnumSource.Mode.EXCLUDE)
    void everyBrokenProtocolVariantIsCaught(ProtocolVariant variant) throws Exception {
        List<ReplicaSimulation.Result> results = runAll(
                ReplicaRunConfig.defaults(ReplicationMode.ACTIVE).withVariant(variant), 1, 32);

        // Unconfirmed reads break nothing but read freshness; every other variant breaks safety somewhere.
        java.util.function.Predicate<ReplicaViolation> caught = variant == ProtocolVariant.READS_WITHOUT_CONFIRMATION
                ? v -> v.property() == ReplicaProperty.READ_FRESHNESS
                : v -> v.property() != ReplicaProperty.LIVENESS;
        assertThat(results).as("%s broke no replica guarantee in 32 seeds", variant)
                .anyMatch(r -> r.violations().stream().anyMatch(caught));
    }

    private static List<ReplicaSimulation.Result> runAll(ReplicaRunConfig config, long first, long count)
            throws InterruptedException, ExecutionException {
        ExecutorService pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
        try {
            List<Future<ReplicaSimulation.Result>> futures = new ArrayList<>();
            for (long seed = first; seed < first + count; seed++) {
                ReplicaScenario scenario = ReplicaScenario.fromSeed(seed, config);
                futures.add(pool.submit(() -> new ReplicaSimulation(scenario, SumMachine.workload()).run()));
            }
            List<ReplicaSimulation.Result> results = new ArrayList<>();
            for (Future<ReplicaSimulation.Result> f : futures) {
                results.add(f.get());
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
