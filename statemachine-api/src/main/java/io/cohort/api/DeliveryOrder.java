package io.cohort.api;

/**
 * The ordering guarantee of a multicast. Every order delivers a message only in the view in which
 * it was sent, and never twice. Guarantees hold among messages of the same order; messages of
 * different orders may interleave differently at different members, except that {@link #TOTAL}
 * and {@link #SAFE} share one total order.
 */
public enum DeliveryOrder {
    /** Per-sender order without gaps: a member that delivers a sender's n-th FIFO message delivered its first n-1. */
    FIFO,
    /** Happens-before order (vector timestamps): a message is delivered after every causal message its sender had delivered or sent before it. */
    CAUSAL,
    /**
     * One order at every member (agreed delivery), assigned by the coordinator; also FIFO per
     * sender. Non-uniform: a member may deliver a message and crash before anyone else holds it.
     */
    TOTAL,
    /**
     * {@link #TOTAL} plus uniform delivery: delivered only once every member of the view holds the
     * message (at the durability level in force), so if any member delivers it, every member that
     * survives into the next view delivers it too.
     */
    SAFE
}
