/** A replica process for multi-process tests of the replicated state machine, and its audit state machine. */
package io.cohort.integration.replica;
