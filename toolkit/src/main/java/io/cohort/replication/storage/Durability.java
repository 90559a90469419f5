package io.cohort.replication.storage;

/**
 * When a delivered command counts as held by a replica, and so what a client's acknowledgement
 * survives. One level per group: every replica must use the same.
 */
public enum Durability {

    /**
     * Held in memory. A command is acknowledged once delivered (SAFE: every member of the view
     * holds it in memory). Survives the crash of any minority of replicas; a total failure loses
     * everything. No disk.
     */
    MEMORY,

    /**
     * Appended to the replica's command log (a memory-mapped Chronicle Queue file) before it is
     * applied; acknowledged once a majority of the view has appended it. Survives any number of
     * process crashes, including all replicas at once (kill -9): the operating system still writes
     * the mapped pages. Not an operating-system crash or power loss of a majority.
     */
    LOG,

    /**
     * As {@link #LOG}, and the log is forced to the storage device ({@code fdatasync}, on a sync
     * thread, never the apply thread) before the command counts as held; commands delivered while
     * a sync runs are forced together by the next one (group commit). Survives operating-system
     * crashes and power loss too, as far as the device honours the flush.
     */
    SYNC
}
