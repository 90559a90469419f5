package io.cohort.protocol;

/**
 * Deliberately broken versions of the protocol. They exist only so that tests can prove the
 * simulator and checker catch real bugs; never enable one in a deployment. {@link #CORRECT} is
 * the only variant that keeps Cohort's guarantees.
 */
public enum ProtocolVariant {
    /** The real protocol. */
    CORRECT,
    /** Install the next view without the flush: messages not yet delivered in the old view are dropped. */
    INSTALL_WITHOUT_FLUSH,
    /** Deliver TOTAL and SAFE messages in the order they are received, ignoring the sequencer. */
    TOTAL_IN_RECEIVE_ORDER,
    /** Deliver SAFE messages as soon as they are ordered, without waiting for stability. */
    SAFE_WITHOUT_STABILITY,
    /** Let any single member install the next view: no majority needed, so a minority can move on. */
    MINORITY_VIEWS,
    /** Confirm the view for a linearizable read at once, without asking a majority: reads may be stale. */
    READS_WITHOUT_CONFIRMATION
}
