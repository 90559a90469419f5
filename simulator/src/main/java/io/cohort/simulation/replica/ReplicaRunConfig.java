package io.cohort.simulation.replica;

import io.cohort.protocol.ProtocolVariant;
import io.cohort.replication.ReplicationMode;

import java.util.Objects;

/**
 * Everything about a campaign of simulated replica runs except the seed. Each run draws its
 * concrete shape ({@link ReplicaScenario}) from its seed within these bounds.
 *
 * @param mode                how requests become updates
 * @param variant             protocol variant; anything but CORRECT is deliberately broken (for testing the checks)
 * @param minReplicas         fewest members that start the group (at least 3)
 * @param maxReplicas         most members that start the group
 * @param extraMembers        further member names the nemesis may add as joiners (total at most 7)
 * @param clients             simulated clients
 * @param readPercent         share of client operations that are queries (0 without a query generator)
 * @param stalePercent        share of queries sent as STALE reads; the rest are LINEARIZABLE
 * @param thinkMillis         mean pause between a client's operations
 * @param clientTimeoutMillis how long a client waits for an answer before it fails over
 * @param maxHashInterval     replicas hash their state every 1 to this many commands (drawn per run)
 * @param rejoinOnDivergence  whether a replica told it diverged leaves and rejoins as a new incarnation
 * @param settleMillis        longest simulated time after the fault phase for the group to settle
 * @param faults              what the nemesis does
 */
public record ReplicaRunConfig(ReplicationMode mode, ProtocolVariant variant, int minReplicas, int maxReplicas,
                               int extraMembers, int clients, int readPercent, int stalePercent, long thinkMillis,
                               long clientTimeoutMillis, int maxHashInterval, boolean rejoinOnDivergence,
                               long settleMillis, FaultPlan faults) {

    /** Validates the configuration. */
    public ReplicaRunConfig {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(variant, "variant");
        Objects.requireNonNull(faults, "faults");
        if (minReplicas < 3 || maxReplicas < minReplicas || maxReplicas + extraMembers > 7 || extraMembers < 0) {
            throw new IllegalArgumentException("need 3 <= minReplicas <= maxReplicas and maxReplicas + extraMembers <= 7, got "
                    + minReplicas + ".." + maxReplicas + " + " + extraMembers);
        }
        if (clients < 1 || readPercent < 0 || readPercent > 100 || stalePercent < 0 || stalePercent > 100) {
            throw new IllegalArgumentException("need clients >= 1 and percentages within 0..100");
        }
        if (thinkMillis < 1 || clientTimeoutMillis < 10 || maxHashInterval < 1 || settleMillis < 1000) {
            throw new IllegalArgumentException("need thinkMillis >= 1, clientTimeoutMillis >= 10, maxHashInterval >= 1, settleMillis >= 1000");
        }
    }

    /**
     * @param mode the replication mode
     * @return 3 to 5 replicas, up to 2 joiners, 6 clients, 30% reads (a fifth of them stale),
     *         every kind of fault, hashes every 1 to 10 commands, divergent replicas rejoin
     */
    public static ReplicaRunConfig defaults(ReplicationMode mode) {
        return new ReplicaRunConfig(mode, ProtocolVariant.CORRECT, 3, 5, 2, 6, 30, 20, 12, 1500, 10, true,
                20_000, FaultPlan.standard());
    }

    /**
     * @param v a protocol variant
     * @return a copy using it
     */
    public ReplicaRunConfig withVariant(ProtocolVariant v) {
        return new ReplicaRunConfig(mode, v, minReplicas, maxReplicas, extraMembers, clients, readPercent,
                stalePercent, thinkMillis, clientTimeoutMillis, maxHashInterval, rejoinOnDivergence, settleMillis, faults);
    }

    /**
     * @param min fewest initial replicas
     * @param max most initial replicas
     * @return a copy; joiners are capped so that at most 7 names are used
     */
    public ReplicaRunConfig withReplicas(int min, int max) {
        return new ReplicaRunConfig(mode, variant, min, max, Math.min(extraMembers, Math.max(0, 7 - max)), clients,
                readPercent, stalePercent, thinkMillis, clientTimeoutMillis, maxHashInterval, rejoinOnDivergence,
                settleMillis, faults);
    }

    /**
     * @param n simulated clients
     * @return a copy
     */
    public ReplicaRunConfig withClients(int n) {
        return new ReplicaRunConfig(mode, variant, minReplicas, maxReplicas, extraMembers, n, readPercent,
                stalePercent, thinkMillis, clientTimeoutMillis, maxHashInterval, rejoinOnDivergence, settleMillis, faults);
    }

    /**
     * @param reads  share of operations that are queries
     * @param stale  share of queries that are STALE
     * @return a copy
     */
    public ReplicaRunConfig withReads(int reads, int stale) {
        return new ReplicaRunConfig(mode, variant, minReplicas, maxReplicas, extraMembers, clients, reads, stale,
                thinkMillis, clientTimeoutMillis, maxHashInterval, rejoinOnDivergence, settleMillis, faults);
    }

    /**
     * @param millis mean pause between a client's operations
     * @return a copy
     */
    public ReplicaRunConfig withThinkMillis(long millis) {
        return new ReplicaRunConfig(mode, variant, minReplicas, maxReplicas, extraMembers, clients, readPercent,
                stalePercent, millis, clientTimeoutMillis, maxHashInterval, rejoinOnDivergence, settleMillis, faults);
    }

    /**
     * @param maxInterval largest hash interval a run may draw
     * @return a copy
     */
    public ReplicaRunConfig withMaxHashInterval(int maxInterval) {
        return new ReplicaRunConfig(mode, variant, minReplicas, maxReplicas, extraMembers, clients, readPercent,
                stalePercent, thinkMillis, clientTimeoutMillis, maxInterval, rejoinOnDivergence, settleMillis, faults);
    }

    /**
     * @param rejoin whether a divergent replica leaves and rejoins
     * @return a copy
     */
    public ReplicaRunConfig withRejoinOnDivergence(boolean rejoin) {
        return new ReplicaRunConfig(mode, variant, minReplicas, maxReplicas, extraMembers, clients, readPercent,
                stalePercent, thinkMillis, clientTimeoutMillis, maxHashInterval, rejoin, settleMillis, faults);
    }

    /**
     * @param plan what the nemesis does
     * @return a copy
     */
    public ReplicaRunConfig withFaults(FaultPlan plan) {
        return new ReplicaRunConfig(mode, variant, minReplicas, maxReplicas, extraMembers, clients, readPercent,
                stalePercent, thinkMillis, clientTimeoutMillis, maxHashInterval, rejoinOnDivergence, settleMillis, plan);
    }
}
