/**
 * The durable command log: every delivered state-changing command is appended to a Chronicle Queue
 * before it is applied, replayed after a crash, read by peers to catch up a restarted replica, and
 * trimmed by whole cycle files once a checkpoint covers them. Entry point: {@link
 * io.cohort.recovery.log.CommandLog}.
 */
package io.cohort.recovery.log;
