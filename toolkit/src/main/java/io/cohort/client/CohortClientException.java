package io.cohort.client;

import io.cohort.replication.wire.ResponseStatus;

/**
 * A request failed for good: the replica answered with a status that must not be retried, or the
 * request timed out, or the client was closed.
 */
public final class CohortClientException extends RuntimeException {

    private final transient ResponseStatus status;

    /**
     * @param status  the replica's final status, or null when no replica gave one (timeout, closed)
     * @param message what happened (for a replica's status, the explanation it sent)
     */
    public CohortClientException(ResponseStatus status, String message) {
        super(message);
        this.status = status;
    }

    /**
     * @param status  the final status, or null
     * @param message what happened
     * @param cause   the underlying failure
     */
    public CohortClientException(ResponseStatus status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /**
     * @return the status a replica answered with ({@code SESSION_EXPIRED}, {@code REJECTED},
     *         {@code APPLICATION_ERROR}), or null if the request timed out or the client was closed
     */
    public ResponseStatus status() {
        return status;
    }

    /** @return the class, the status when there is one, and the message */
    @Override
    public String toString() {
        return status == null ? super.toString() : getClass().getName() + ": " + status + ": " + getMessage();
    }
}
