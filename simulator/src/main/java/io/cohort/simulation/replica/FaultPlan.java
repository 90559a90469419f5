package io.cohort.simulation.replica;

/**
 * Which faults the nemesis may inject in a run, and how hard the network is. Each run draws its
 * actual rates from its seed, up to the maxima given here; every enabled kind of fault is injected
 * at least once per run where the group can take it.
 *
 * @param crashes             crash members (they restart later as a new incarnation, with state transfer)
 * @param partitions          partition the network (healed after a while)
 * @param isolationPercent    share of partitions that cut one single replica off from all others
 * @param leaves              make members leave cleanly (they rejoin later as a new incarnation)
 * @param joins               add new members, or restart existing ones, which join by state transfer
 * @param maxLossRate         highest probability that a frame is lost
 * @param maxDuplicateRate    highest probability that a frame is delivered twice
 * @param maxSlowRate         highest probability that a frame takes a long detour (reordering)
 * @param faultPhaseMillis    simulated time during which faults and client traffic go on
 * @param faultIntervalMillis mean simulated time between faults
 */
public record FaultPlan(boolean crashes, boolean partitions, int isolationPercent, boolean leaves, boolean joins,
                        double maxLossRate, double maxDuplicateRate, double maxSlowRate, long faultPhaseMillis,
                        long faultIntervalMillis) {

    /** Validates the plan. */
    public FaultPlan {
        if (isolationPercent < 0 || isolationPercent > 100) {
            throw new IllegalArgumentException("isolationPercent must be 0..100, was " + isolationPercent);
        }
        if (maxLossRate < 0 || maxLossRate > 0.5 || maxDuplicateRate < 0 || maxDuplicateRate > 0.5
                || maxSlowRate < 0 || maxSlowRate > 0.5) {
            throw new IllegalArgumentException("network fault rates must be within 0..0.5");
        }
        if (faultPhaseMillis < 100 || faultIntervalMillis < 10) {
            throw new IllegalArgumentException("fault phase must be >= 100 ms and fault interval >= 10 ms");
        }
    }

    /** @return every kind of fault, a lossy network, 3 simulated seconds of faults */
    public static FaultPlan standard() {
        return new FaultPlan(true, true, 40, true, true, 0.05, 0.02, 0.04, 6000, 400);
    }

    /** @return a perfect network and no faults at all: the baseline */
    public static FaultPlan none() {
        return new FaultPlan(false, false, 0, false, false, 0, 0, 0, 3000, 400);
    }

    /**
     * @param enabled whether to crash members
     * @return a copy
     */
    public FaultPlan withCrashes(boolean enabled) {
        return new FaultPlan(enabled, partitions, isolationPercent, leaves, joins, maxLossRate, maxDuplicateRate,
                maxSlowRate, faultPhaseMillis, faultIntervalMillis);
    }

    /**
     * @param enabled whether to partition the network
     * @return a copy
     */
    public FaultPlan withPartitions(boolean enabled) {
        return new FaultPlan(crashes, enabled, isolationPercent, leaves, joins, maxLossRate, maxDuplicateRate,
                maxSlowRate, faultPhaseMillis, faultIntervalMillis);
    }

    /**
     * @param percent share of partitions that isolate one replica
     * @return a copy
     */
    public FaultPlan withIsolationPercent(int percent) {
        return new FaultPlan(crashes, partitions, percent, leaves, joins, maxLossRate, maxDuplicateRate,
                maxSlowRate, faultPhaseMillis, faultIntervalMillis);
    }

    /**
     * @param enabled whether members leave and rejoin
     * @return a copy
     */
    public FaultPlan withLeaves(boolean enabled) {
        return new FaultPlan(crashes, partitions, isolationPercent, enabled, joins, maxLossRate, maxDuplicateRate,
                maxSlowRate, faultPhaseMillis, faultIntervalMillis);
    }

    /**
     * @param enabled whether members join
     * @return a copy
     */
    public FaultPlan withJoins(boolean enabled) {
        return new FaultPlan(crashes, partitions, isolationPercent, leaves, enabled, maxLossRate, maxDuplicateRate,
                maxSlowRate, faultPhaseMillis, faultIntervalMillis);
    }

    /**
     * @param loss      highest loss rate
     * @param duplicate highest duplication rate
     * @param slow      highest detour rate
     * @return a copy
     */
    public FaultPlan withNetwork(double loss, double duplicate, double slow) {
        return new FaultPlan(crashes, partitions, isolationPercent, leaves, joins, loss, duplicate, slow,
                faultPhaseMillis, faultIntervalMillis);
    }

    /**
     * @param phaseMillis    how long faults and traffic go on
     * @param intervalMillis mean time between faults
     * @return a copy
     */
    public FaultPlan withTiming(long phaseMillis, long intervalMillis) {
        return new FaultPlan(crashes, partitions, isolationPercent, leaves, joins, maxLossRate, maxDuplicateRate,
                maxSlowRate, phaseMillis, intervalMillis);
    }

    /** @return whether any member-level fault is enabled */
    public boolean anyFault() {
        return crashes || partitions || leaves || joins;
    }
}
