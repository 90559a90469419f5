package io.cohort.replication;

/**
 * How a group of replicas turns client requests into state changes. Every mode applies changes as
 * SAFE multicasts, in one order at every replica, with exactly-once client sessions; they differ in
 * who executes a request.
 */
public enum ReplicationMode {

    /**
     * Every replica applies every command. The state machine must be deterministic. The replica a
     * client talks to multicasts the command and answers with its own result.
     */
    ACTIVE,

    /**
     * Rank 0 of the view (the primary) executes every request with the
     * {@link io.cohort.api.RequestExecutor}, possibly non-deterministically, applies the resulting
     * update at once and multicasts it; backups apply the updates in the primary's order. When the
     * primary fails, rank 0 of the next view takes over the requests not yet executed.
     */
    PRIMARY_BACKUP,

    /**
     * Each request is handled by one member chosen from the view and the request (spreading the
     * load over the ranks); every member sees the request, and if its handler leaves before its
     * update is applied, the handler chosen in the next view takes it over.
     */
    COORDINATOR_COHORT;

    /**
     * @param coordinator whether the member is its view's coordinator (rank 0)
     * @return the member's role in this mode: "replica" (active), "primary" or "backup",
     *         "coordinator" or "cohort"
     */
    public String roleOf(boolean coordinator) {
        return switch (this) {
            case ACTIVE -> "replica";
            case PRIMARY_BACKUP -> coordinator ? "primary" : "backup";
            case COORDINATOR_COHORT -> coordinator ? "coordinator" : "cohort";
        };
    }
}
