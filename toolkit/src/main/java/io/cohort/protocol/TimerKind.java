package io.cohort.protocol;

/** The timers the core asks for. At most one of each kind is pending at a time. */
public enum TimerKind {
    /** Resend reliable frames that are still unacknowledged. */
    RETRANSMIT,
    /** Lead a view change again after a refused ballot (rank-ordered back-off). */
    BALLOT_RETRY,
    /** Ask the seeds again to be let in. */
    JOIN_RETRY
}
