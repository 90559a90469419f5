package io.cohort.testkit;

import io.cohort.simulation.replica.FaultPlan;

import java.time.Duration;
import java.util.Objects;

/**
 * Which faults the simulated runs inject. Immutable: each method returns a modified copy.
 * {@link #standard()} (the default) injects every kind: crashes with restart and state transfer,
 * partitions (some isolating a single replica, some one-way) and heals, clean leaves and rejoins,
 * new members joining, over a network that loses, duplicates and reorders frames. Every enabled
 * kind is injected at least once per run where the group can take it without losing its majority.
 */
public final class Faults {

    private final FaultPlan plan;

    private Faults(FaultPlan plan) {
        this.plan = plan;
    }

    /** @return every kind of fault over a lossy network, for about 3 simulated seconds per run */
    public static Faults standard() {
        return new Faults(FaultPlan.standard());
    }

    /** @return no member faults and a perfect network: a baseline to check a test's own logic */
    public static Faults none() {
        return new Faults(FaultPlan.none());
    }

    /** @return a copy that never crashes members */
    public Faults withoutCrashes() {
        return new Faults(plan.withCrashes(false));
    }

    /** @return a copy that never partitions the network */
    public Faults withoutPartitions() {
        return new Faults(plan.withPartitions(false));
    }

    /** @return a copy in which members never leave */
    public Faults withoutLeaves() {
        return new Faults(plan.withLeaves(false));
    }

    /** @return a copy in which no member joins (restarts after crashes still rejoin) */
    public Faults withoutJoins() {
        return new Faults(plan.withJoins(false));
    }

    /**
     * @param percent share of partitions (0 to 100) that cut one single replica off from all
     *                others, the case that catches stale reads from a replica that lost the group
     * @return a copy
     */
    public Faults isolatingPartitions(int percent) {
        return new Faults(plan.withPartitions(true).withIsolationPercent(percent));
    }

    /**
     * @param maxLoss      highest probability a frame is lost (each run draws its own, up to this)
     * @param maxDuplicate highest probability a frame is delivered twice
     * @param maxSlow      highest probability a frame takes a long detour, which reorders it
     * @return a copy
     */
    public Faults network(double maxLoss, double maxDuplicate, double maxSlow) {
        return new Faults(plan.withNetwork(maxLoss, maxDuplicate, maxSlow));
    }

    /**
     * @param faultPhase how long faults and client traffic go on in each run (simulated time;
     *                   each run draws between 3/4 and 5/4 of it); longer runs find more, cost more
     * @param meanInterval mean simulated time between two faults
     * @return a copy
     */
    public Faults timing(Duration faultPhase, Duration meanInterval) {
        return new Faults(plan.withTiming(faultPhase.toMillis(), meanInterval.toMillis()));
    }

    FaultPlan plan() {
        return plan;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Faults f && f.plan.equals(plan);
    }

    @Override
    public int hashCode() {
        return Objects.hash(plan);
    }

    @Override
    public String toString() {
        return plan.toString();
    }
}
