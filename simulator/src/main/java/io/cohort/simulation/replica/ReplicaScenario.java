package io.cohort.simulation.replica;

import java.util.SplittableRandom;

/**
 * The concrete shape of one simulated replica run, drawn from its seed within a
 * {@link ReplicaRunConfig}: the same seed and configuration always give the same scenario, and
 * the same scenario always gives the same run.
 *
 * @param seed                the seed everything is drawn from
 * @param config              the bounds it was drawn within
 * @param initialReplicas     members that bootstrap the group
 * @param maxMembers          distinct member names the run may use
 * @param lossRate            probability a frame is lost
 * @param duplicateRate       probability a frame is delivered twice
 * @param slowRate            probability a frame takes a long detour
 * @param faultPhaseMillis    how long faults and client traffic go on
 * @param faultIntervalMillis mean time between faults
 * @param hashInterval        replicas hash their state every this many commands
 */
public record ReplicaScenario(long seed, ReplicaRunConfig config, int initialReplicas, int maxMembers,
                              double lossRate, double duplicateRate, double slowRate, long faultPhaseMillis,
                              long faultIntervalMillis, int hashInterval) {

    /**
     * @param seed   the seed
     * @param config the bounds
     * @return the scenario the seed describes
     */
    public static ReplicaScenario fromSeed(long seed, ReplicaRunConfig config) {
        SplittableRandom r = new SplittableRandom(seed);
        FaultPlan f = config.faults();
        int initial = config.minReplicas() + r.nextInt(config.maxReplicas() - config.minReplicas() + 1);
        int max = initial + (config.extraMembers() == 0 ? 0 : 1 + r.nextInt(config.extraMembers()));
        double loss = r.nextDouble() * f.maxLossRate();
        double dup = r.nextDouble() * f.maxDuplicateRate();
        double slow = r.nextDouble() * f.maxSlowRate();
        long phase = f.faultPhaseMillis() * 3 / 4 + r.nextLong(f.faultPhaseMillis() / 2 + 1);
        long interval = f.faultIntervalMillis() / 2 + r.nextLong(f.faultIntervalMillis() + 1);
        int hashInterval = 1 + r.nextInt(config.maxHashInterval());
        return new ReplicaScenario(seed, config, initial, Math.min(7, max), loss, dup, slow, phase, interval,
                hashInterval);
    }

    @Override
    public String toString() {
        return String.format("seed=%d mode=%s variant=%s replicas=%d..%d loss=%.3f dup=%.3f slow=%.3f "
                        + "faults=%dms every~%dms hash-every=%d",
                seed, config.mode(), config.variant(), initialReplicas, maxMembers, lossRate, duplicateRate, slowRate,
                faultPhaseMillis, faultIntervalMillis, hashInterval);
    }
}
