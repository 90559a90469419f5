package io.cohort.simulation;

import io.cohort.protocol.ProtocolVariant;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import java.util.stream.LongStream;

/**
 * Runs many seeds. Each run is single-threaded and deterministic; runs are independent, so they
 * are spread over the machine's cores without affecting any run's outcome.
 */
public final class SimulationCampaign {

    private SimulationCampaign() {
    }

    /**
     * Runs seeds {@code [firstSeed, firstSeed + count)}.
     *
     * @param firstSeed first seed
     * @param count     number of seeds
     * @param variant   protocol variant
     * @return the results, in seed order
     */
    public static List<Simulation.Result> run(long firstSeed, long count, ProtocolVariant variant) {
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "simulation");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Simulation.Result>> futures = new ArrayList<>();
            LongStream.range(firstSeed, firstSeed + count).forEach(seed ->
                    futures.add(pool.submit(() -> new Simulation(Scenario.fromSeed(seed, variant)).run())));
            List<Simulation.Result> results = new ArrayList<>(futures.size());
            for (Future<Simulation.Result> f : futures) {
                results.add(f.get());
            }
            return results;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("campaign interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("a simulation run failed with an exception", e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Runs seeds from {@code firstSeed} on, in order, until one result matches.
     *
     * @param firstSeed first seed
     * @param budget    most seeds to try
     * @param variant   protocol variant
     * @param stop      what to look for
     * @return the first matching result, or null if none within the budget
     */
    public static Simulation.Result firstMatching(long firstSeed, long budget, ProtocolVariant variant,
                                                  Predicate<Simulation.Result> stop) {
        for (long seed = firstSeed; seed < firstSeed + budget; seed++) {
            Simulation.Result r = new Simulation(Scenario.fromSeed(seed, variant)).run();
            if (stop.test(r)) {
                return r;
            }
        }
        return null;
    }
}
