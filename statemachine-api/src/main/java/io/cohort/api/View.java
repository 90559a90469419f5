package io.cohort.api;

import java.util.List;
import java.util.Objects;

/**
 * An agreed group membership: every member that installs view {@code viewId} sees exactly these
 * members, in exactly this rank order.
 *
 * <p>Views form one sequence, the same at every member (primary partition). Rank 0, the oldest
 * member, is the coordinator: it sequences {@link DeliveryOrder#TOTAL} and {@link DeliveryOrder#SAFE}
 * messages. The next view is installed only with the agreement of a majority of this one.
 *
 * @param viewId  position of the view in the group's view sequence; increases with every change
 * @param members members in rank order (oldest first); never empty, no duplicate names
 */
public record View(long viewId, List<MemberId> members) {

    /**
     * Validates and freezes the view.
     *
     * @throws IllegalArgumentException if the id is not positive, the list is empty or names repeat
     */
    public View {
        if (viewId < 1) {
            throw new IllegalArgumentException("viewId must be >= 1, was " + viewId);
        }
        members = List.copyOf(Objects.requireNonNull(members, "members"));
        if (members.isEmpty()) {
            throw new IllegalArgumentException("a view has at least one member");
        }
        if (members.stream().map(MemberId::name).distinct().count() != members.size()) {
            throw new IllegalArgumentException("member names repeat in view " + viewId + ": " + members);
        }
    }

    /**
     * The coordinator, the member at rank 0.
     *
     * @return the coordinator
     */
    public MemberId coordinator() {
        return members.get(0);
    }

    /**
     * Rank of a member: its index in {@link #members()}.
     *
     * @param member the member
     * @return its rank, or -1 if it is not in this view
     */
    public int rankOf(MemberId member) {
        return members.indexOf(member);
    }

    /**
     * Whether the member (this exact incarnation) belongs to the view.
     *
     * @param member the member
     * @return true if it is a member
     */
    public boolean contains(MemberId member) {
        return members.contains(member);
    }

    /**
     * Number of members.
     *
     * @return the size
     */
    public int size() {
        return members.size();
    }

    /**
     * The smallest number of members that is a majority of this view: {@code size / 2 + 1}.
     *
     * @return the quorum size for installing the next view
     */
    public int majority() {
        return members.size() / 2 + 1;
    }

    @Override
    public String toString() {
        return "View" + viewId + members;
    }
}
