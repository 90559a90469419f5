/**
 * A test kit for Cohort users: {@link io.cohort.testkit.StateMachineTestKit} runs your own
 * {@link io.cohort.api.StateMachine} in the deterministic simulator, replicated over a faulty
 * simulated network with crashes, partitions, leaves and joins, driven by simulated clients with
 * failover, and checks replica agreement, exactly-once, durability, read freshness, liveness and
 * your own invariants. Every failing schedule prints the one-line command that replays it exactly.
 * See docs/testkit.md.
 */
package io.cohort.testkit;
