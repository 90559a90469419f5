package io.cohort.samples.kv.admin;

import java.util.List;
import java.util.Objects;

/**
 * What the admin endpoints report about one key-value replica, read at one moment.
 *
 * @param cluster         the cluster name
 * @param member          this replica's member name
 * @param incarnation     this process's incarnation of the member
 * @param viewId          the installed view's id, or 0 outside the group
 * @param members         the view's members in rank order (empty outside the group)
 * @param role            this replica's role ("replica", "primary", "backup", "coordinator", "cohort"),
 *                        or "none" outside the group
 * @param appliedIndex    commands applied here
 * @param logSequence     commands and updates delivered here (the command log's last sequence)
 * @param groupLogSequence the highest log sequence any member of the view has reported holding
 *                        (equal to {@code logSequence} when replicas keep no log)
 * @param maxHealthyLag   the largest lag at which the replica still reports itself healthy
 */
public record ReplicaStatus(String cluster, String member, long incarnation, long viewId, List<ViewMember> members,
                            String role, long appliedIndex, long logSequence, long groupLogSequence,
                            long maxHealthyLag) {

    /**
     * One member of the view.
     *
     * @param name        member name
     * @param incarnation its incarnation
     * @param rank        its rank (0 is the coordinator)
     * @param role        its role in the replication mode ("replica", "primary", "backup", ...)
     * @param self        whether it is this replica
     */
    public record ViewMember(String name, long incarnation, int rank, String role, boolean self) {
        /** Validates the fields. */
        public ViewMember {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(role, "role");
        }
    }

    /** Validates and copies the fields. */
    public ReplicaStatus {
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(member, "member");
        Objects.requireNonNull(role, "role");
        members = List.copyOf(members);
    }

    /** @return whether this replica is a member of the installed (primary, majority) view */
    public boolean inPrimaryView() {
        return viewId > 0 && !"none".equals(role) && members.stream().anyMatch(ViewMember::self);
    }

    /** @return how many log entries this replica is behind the furthest member of its view (never negative) */
    public long lag() {
        return Math.max(0, groupLogSequence - logSequence);
    }

    /** @return in the primary view and at most {@code maxHealthyLag} entries behind */
    public boolean healthy() {
        return inPrimaryView() && lag() <= maxHealthyLag;
    }
}
