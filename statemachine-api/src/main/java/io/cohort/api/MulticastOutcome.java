package io.cohort.api;

/**
 * What became of a multicast that did not complete normally. A multicast future never hangs: it
 * completes on delivery, or fails with one of these outcomes.
 */
public enum MulticastOutcome {
    /** Delivered locally in the view in which it was sent (for SAFE: once stable). */
    DELIVERED,
    /** Never sent: the sender left or was excluded before the message was given a view. No member delivers it. */
    NOT_SENT,
    /**
     * Sent, but the sender left the group or was excluded before it could see the delivery.
     * Survivors either all delivered it or all dropped it; the sender cannot tell which.
     */
    UNKNOWN
}
