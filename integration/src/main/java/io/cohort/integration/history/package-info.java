/**
 * The text form of member histories written by separate JVMs, and their merging into one
 * {@link io.cohort.simulation.history.History} for the checker.
 */
package io.cohort.integration.history;
