/** What members did during a run, recorded for the checker. */
package io.cohort.simulation.history;
