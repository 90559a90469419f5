package io.cohort.simulation.history;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;

import java.util.List;
import java.util.Set;

/**
 * One thing a member did, as recorded during a run. Events of one member appear in the
 * {@link History} in the order the member did them; events of different members are interleaved
 * in (simulated or real) time order. Message ids are unique within a run.
 */
public sealed interface HistoryEvent {

    /** The member incarnation the event happened at. */
    MemberId member();

    /** The member installed a view (for a joiner: once its state is in place). */
    record ViewInstalled(MemberId member, long viewId, List<MemberId> members) implements HistoryEvent {
        public ViewInstalled {
            members = List.copyOf(members);
        }
    }

    /** The application asked the member to multicast a message (it may be sent later, in a later view). */
    record MulticastRequested(MemberId member, String messageId, DeliveryOrder order) implements HistoryEvent {
    }

    /** The member sent a requested message in a view: from here on it belongs to that view. */
    record Sent(MemberId member, String messageId, DeliveryOrder order, long viewId) implements HistoryEvent {
    }

    /** The member delivered a message to its application. */
    record Delivered(MemberId member, String messageId, MemberId sender, DeliveryOrder order, long viewId)
            implements HistoryEvent {
    }

    /**
     * A joiner received its initial state for the view it joins; {@code stateMessageIds} are the
     * ids of the messages the state reflects (the simulated application's state is that set).
     * Recorded immediately before the joiner's {@link ViewInstalled} for {@code viewId}.
     */
    record StateTransferred(MemberId member, long viewId, Set<String> stateMessageIds) implements HistoryEvent {
        public StateTransferred {
            // Sorted, so that the event's text (and the history digest) is the same in every JVM.
            stateMessageIds = java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(stateMessageIds));
        }
    }

    /** The member crashed: it does nothing more. */
    record Crashed(MemberId member) implements HistoryEvent {
    }

    /** The member learned that the group excluded it: it does nothing more. */
    record Excluded(MemberId member, long lastViewId) implements HistoryEvent {
    }

    /** The member left the group cleanly: it does nothing more. */
    record Left(MemberId member, long lastViewId) implements HistoryEvent {
    }
}
