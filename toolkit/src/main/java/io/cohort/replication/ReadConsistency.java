package io.cohort.replication;

/**
 * How fresh the answer to a query must be.
 */
public enum ReadConsistency {

    /**
     * The answer reflects every command acknowledged to any client before the query was sent.
     * The replica proves it is still in the primary view by asking a majority of that view (no log
     * write), then answers once it has applied everything it held at that moment. A replica cut
     * off from the majority refuses instead of answering.
     */
    LINEARIZABLE,

    /**
     * The replica answers at once from whatever it has applied. Cheaper, and still a state that
     * some prefix of the command sequence produced, but it may miss recent commands and, on a
     * replica cut off from the majority, may be arbitrarily old.
     */
    STALE
}
