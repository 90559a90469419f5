package io.cohort.group;

import java.util.List;
import java.util.Objects;

/**
 * What a member restarting from disk holds, announced during discovery so that, after the whole
 * group has failed, the group restarts from the most advanced state among a majority of the last
 * view, never from an older one.
 *
 * <p>Claims are ordered by {@code lastViewId}, then {@code position}. A group restarts when no
 * live member answers, the seeds back the member with the best claim they hear, and that member
 * hears from a majority of the members of its {@code lastViewMembers} that have state on disk.
 * Because every view contains a majority of the view before it, and a command is acknowledged only
 * once a majority of its view has it on disk, the best claim among such a majority holds every
 * acknowledged command.
 *
 * @param lastViewId      id of the last view this member installed, as recorded on its disk (0: none)
 * @param position        how far its durable state goes (for Cohort replicas: the last command-log
 *                        sequence)
 * @param lastViewMembers names of that view's members (empty if unknown)
 */
public record RecoveryClaim(long lastViewId, long position, List<String> lastViewMembers) {

    /** A member with nothing on disk: it never decides where a restarted group starts. */
    public static final RecoveryClaim NONE = new RecoveryClaim(0, 0, List.of());

    /** Largest number of member names a claim may carry. */
    public static final int MAX_MEMBERS = 1024;

    /** Checks and freezes the fields. */
    public RecoveryClaim {
        if (lastViewId < 0 || position < 0) {
            throw new IllegalArgumentException("negative view id or position: " + lastViewId + "/" + position);
        }
        lastViewMembers = List.copyOf(Objects.requireNonNull(lastViewMembers, "lastViewMembers"));
        if (lastViewMembers.size() > MAX_MEMBERS) {
            throw new IllegalArgumentException("a claim names at most " + MAX_MEMBERS + " members");
        }
    }

    /** @return whether this member has no state on disk */
    public boolean isNone() {
        return lastViewId == 0 && position == 0;
    }

    /**
     * @param other another claim
     * @return positive if this claim is more advanced, negative if less, 0 if equal
     */
    public int compareProgress(RecoveryClaim other) {
        int byView = Long.compare(lastViewId, other.lastViewId);
        return byView != 0 ? byView : Long.compare(position, other.position);
    }

    /** @return how many present members of the last view a restart needs (a majority), 0 if unknown */
    public int quorum() {
        return lastViewMembers.isEmpty() ? 0 : lastViewMembers.size() / 2 + 1;
    }
}
