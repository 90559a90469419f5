package io.cohort.replication.wire;

/**
 * The outcome a replica reports for one client request.
 */
public enum ResponseStatus {
    /** Done; the payload is the result (command) or the answer (query). */
    OK,
    /**
     * Not done here, and nothing in the group will be done on its behalf unless the client retries:
     * the replica is joining, leaving, wedged or was excluded, or the multicast could not be sent.
     * The client retries, usually at another replica; the session table makes the retry safe.
     */
    RETRY,
    /**
     * A linearizable query could not prove its freshness (the replica could not reach a majority
     * of its view in time). The client retries elsewhere.
     */
    UNAVAILABLE,
    /**
     * The client's session was expired from the replicated session table, so a retried command can
     * no longer be told apart from a new one. The payload explains; the client must not retry it.
     */
    SESSION_EXPIRED,
    /** The request was refused as invalid (too large, malformed, unsupported). Not retried. */
    REJECTED,
    /** The state machine threw while executing the request. The payload is the message. Not retried. */
    APPLICATION_ERROR;

    /** @return whether a client should send the same request again, possibly to another replica */
    public boolean retriable() {
        return this == RETRY || this == UNAVAILABLE;
    }
}
