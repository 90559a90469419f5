package io.cohort.replication.wire;

import io.cohort.replication.ReadConsistency;

import java.util.Objects;

/**
 * One request from a client to a replica.
 *
 * <p>Commands are identified by {@code (clientId, sequence)}: a client numbers its commands 1, 2, 3...
 * and resends a command with the same number after a failover, so the replicated session table
 * applies it once. {@code firstUnacknowledged} is the lowest sequence the client still waits for:
 * results below it may be forgotten. Queries use {@code sequence} only to match the response.
 *
 * @param kind                command or query
 * @param clientId            the client's session id, random per client
 * @param sequence            the request's number within the session
 * @param firstUnacknowledged lowest sequence the client has no response for (commands)
 * @param consistency         for queries; ignored for commands
 * @param payload             the command or query bytes
 */
public record ClientRequest(Kind kind, long clientId, long sequence, long firstUnacknowledged,
                            ReadConsistency consistency, byte[] payload) {

    /** What a request asks for. */
    public enum Kind {
        /** A state-changing command, applied through the replicated sequence. */
        COMMAND,
        /** A read-only query, never logged. */
        QUERY
    }

    /** Validates the fields. */
    public ClientRequest {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(consistency, "consistency");
        Objects.requireNonNull(payload, "payload");
        if (sequence < 1 || firstUnacknowledged < 1 || firstUnacknowledged > sequence) {
            throw new IllegalArgumentException("need 1 <= firstUnacknowledged <= sequence, got "
                    + firstUnacknowledged + " and " + sequence);
        }
    }
}
