package io.cohort.api;

import java.util.Objects;

/**
 * The identity of one process in a group: a stable {@code name} plus an {@code incarnation} number.
 *
 * <p>A process that restarts, or that the group excluded (because it crashed or was suspected),
 * comes back with the same name and a higher incarnation. The group treats each incarnation as a
 * different member: an excluded incarnation is never readmitted, its successor rejoins through
 * state transfer.
 *
 * @param name        stable member name; non-empty, at most 255 UTF-8 bytes
 * @param incarnation incarnation number, starting at 1 and increasing on every restart
 */
public record MemberId(String name, long incarnation) implements Comparable<MemberId> {

    /** Longest name accepted, in UTF-8 bytes; names travel in every protocol frame header. */
    public static final int MAX_NAME_BYTES = 255;

    /**
     * Validates the identity.
     *
     * @throws IllegalArgumentException if the name is empty or too long, or the incarnation is not positive
     */
    public MemberId {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("member name must not be empty");
        }
        if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("member name longer than " + MAX_NAME_BYTES + " bytes: " + name);
        }
        if (incarnation < 1) {
            throw new IllegalArgumentException("incarnation must be >= 1, was " + incarnation + " for " + name);
        }
    }

    /**
     * Creates a member identity.
     *
     * @param name        member name
     * @param incarnation incarnation, at least 1
     * @return the identity
     */
    public static MemberId of(String name, long incarnation) {
        return new MemberId(name, incarnation);
    }

    /**
     * The identity this process takes when it comes back after a restart or an exclusion.
     *
     * @return the same name with the next incarnation
     */
    public MemberId nextIncarnation() {
        return new MemberId(name, incarnation + 1);
    }

    /** Orders by name, then incarnation. */
    @Override
    public int compareTo(MemberId other) {
        int byName = name.compareTo(other.name);
        return byName != 0 ? byName : Long.compare(incarnation, other.incarnation);
    }

    /** Renders as {@code name#incarnation}, the form used in logs. */
    @Override
    public String toString() {
        return name + "#" + incarnation;
    }
}
