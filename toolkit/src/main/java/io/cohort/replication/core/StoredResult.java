package io.cohort.replication.core;

import io.cohort.replication.wire.ResponseStatus;

/**
 * The outcome of an applied command as the session table keeps it: {@link ResponseStatus#OK} with
 * the state machine's result, or {@link ResponseStatus#APPLICATION_ERROR} with the message of what
 * it threw. Identical at every replica.
 *
 * @param status  OK or APPLICATION_ERROR
 * @param payload result bytes, or the UTF-8 error message
 */
public record StoredResult(ResponseStatus status, byte[] payload) {
}
