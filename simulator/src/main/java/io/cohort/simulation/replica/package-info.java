/**
 * Deterministic simulation of replicated state machines: a {@link io.cohort.replication.core.ReplicaCore}
 * per simulated member on top of the same protocol cores, faulty network, failure detector and
 * nemesis as {@link io.cohort.simulation.Simulation}, driven by simulated clients with failover,
 * and checked for replica agreement, exactly-once, read freshness, liveness and the user's own
 * invariants. The user-facing front end is the {@code cohort-testkit} module.
 */
package io.cohort.simulation.replica;
