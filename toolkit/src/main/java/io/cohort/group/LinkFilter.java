package io.cohort.group;

/**
 * Decides, per peer, whether this member's traffic with it gets through: a fault injector for
 * tests that partition a group inside one JVM (members on each side block the other side's names).
 * Traffic from a blocked peer (frames, heartbeats, discovery) is dropped on arrival, and frames to
 * it are dropped before sending, exactly as if the network lost them. Consulted on I/O and protocol
 * threads, so an implementation must be thread-safe and cheap. Never set one in production.
 */
@FunctionalInterface
public interface LinkFilter {

    /** Lets everything through. */
    LinkFilter OPEN = peer -> true;

    /**
     * @param peerName the peer's member name
     * @return whether traffic with it gets through
     */
    boolean allows(String peerName);
}
