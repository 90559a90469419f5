package io.cohort.replication.core;

/**
 * Tunables of a {@link ReplicaCore}. The first three must be the same at every replica: they
 * decide replicated behaviour.
 *
 * @param sessionExpiryMillis      logical time a client session may stay idle before it is
 *                                 forgotten (its retries are then refused as expired); default 10 min
 * @param maxSessions              most client sessions kept; the least recently used goes first; default 100000
 * @param hashIntervalCommands     take and compare the state hash every this many applied commands;
 *                                 0 disables divergence checks; default 1000
 * @param readTimeoutMillis        how long a linearizable read may wait for its proof of freshness; default 2000
 */
public record ReplicaSettings(long sessionExpiryMillis, int maxSessions, long hashIntervalCommands,
                              long readTimeoutMillis) {

    /** Validates the settings. */
    public ReplicaSettings {
        if (sessionExpiryMillis < 1 || maxSessions < 1 || hashIntervalCommands < 0 || readTimeoutMillis < 1) {
            throw new IllegalArgumentException("invalid replica settings " + sessionExpiryMillis + "/" + maxSessions
                    + "/" + hashIntervalCommands + "/" + readTimeoutMillis);
        }
    }

    /** @return the defaults */
    public static ReplicaSettings defaults() {
        return new ReplicaSettings(600_000, 100_000, 1000, 2000);
    }

    /**
     * @param commands the new hash interval (0 disables)
     * @return a copy with it
     */
    public ReplicaSettings withHashInterval(long commands) {
        return new ReplicaSettings(sessionExpiryMillis, maxSessions, commands, readTimeoutMillis);
    }

    /**
     * @param millis the new session expiry
     * @return a copy with it
     */
    public ReplicaSettings withSessionExpiry(long millis) {
        return new ReplicaSettings(millis, maxSessions, hashIntervalCommands, readTimeoutMillis);
    }
}
