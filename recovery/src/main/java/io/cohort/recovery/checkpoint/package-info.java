/**
 * Durable checkpoints of a replica's state: {@link io.cohort.recovery.checkpoint.CheckpointStore}
 * writes them crash-safely (temp file, fsync, atomic rename, manifest last) and, after a restart,
 * finds the newest one whose data still matches its manifest's size and CRC32C, moving corrupt ones
 * aside. The replica restores it and replays its command log from the checkpoint's sequence + 1.
 * {@link io.cohort.recovery.checkpoint.CheckpointInspector} shows a checkpoint directory from the
 * command line without changing it.
 */
package io.cohort.recovery.checkpoint;
