package io.cohort.testkit;

import io.cohort.simulation.replica.ReplicaRunConfig;
import io.cohort.simulation.replica.ReplicaScenario;
import io.cohort.simulation.replica.ReplicaSimulation;
import io.cohort.simulation.replica.ReplicaWorkload;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs many seeds. Each run is single-threaded and deterministic and runs are independent, so they
 * are spread over the machine's cores without changing any run's outcome. When stopping at the
 * first failure, seeds go in fixed-size batches in seed order, so the failures found do not depend
 * on the number of cores or on timing.
 */
final class Campaign {

    /** Seeds per batch when stopping at the first failure. */
    private static final int BATCH = 16;

    private Campaign() {
    }

    static List<ReplicaSimulation.Result> run(ReplicaRunConfig config, ReplicaWorkload workload, long firstSeed,
                                              int count, boolean stopAtFirstFailure) {
        int threads = Math.max(1, Math.min(count, Runtime.getRuntime().availableProcessors()));
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "cohort-testkit");
            t.setDaemon(true);
            return t;
        });
        try {
            List<ReplicaSimulation.Result> results = new ArrayList<>(count);
            int batch = stopAtFirstFailure ? BATCH : count;
            for (int start = 0; start < count; start += batch) {
                List<Future<ReplicaSimulation.Result>> futures = new ArrayList<>();
                for (long seed = firstSeed + start; seed < firstSeed + Math.min(count, start + batch); seed++) {
                    ReplicaScenario scenario = ReplicaScenario.fromSeed(seed, config);
                    futures.add(pool.submit(() -> new ReplicaSimulation(scenario, workload).run()));
                }
                boolean failed = false;
                for (Future<ReplicaSimulation.Result> f : futures) {
                    ReplicaSimulation.Result r = f.get();
                    results.add(r);
                    failed |= !r.passed();
                }
                if (failed && stopAtFirstFailure) {
                    break;
                }
            }
            return results;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("test kit campaign interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("a simulated run failed outside the checks", e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }
}
