/**
 * Deterministic simulation of groups of protocol cores: a seeded faulty network, a failure
 * detector, a nemesis and a workload; runs replay exactly from their seed. See docs/simulation.md.
 */
package io.cohort.simulation;
