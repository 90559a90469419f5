package io.cohort.transport;

/** What a process answers when asked at start-up whether there is a group. */
public enum DiscoveryStatus {
    /** Looking for a group, none found yet. */
    DISCOVERING,
    /** Asked a member to let it in. */
    JOINING,
    /** A member of a view. */
    MEMBER,
    /** Not taking part any more (left, or excluded without rejoining): neither a group nor a candidate to start one. */
    INACTIVE
}
