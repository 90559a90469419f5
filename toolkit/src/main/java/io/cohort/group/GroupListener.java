package io.cohort.group;

import io.cohort.api.MemberId;
import io.cohort.api.Message;
import io.cohort.api.View;

/**
 * Receives what happens in a group, in the order it happened, on the group's application
 * executor (never on a protocol or I/O thread). Every method has an empty default, so a listener
 * implements only what it needs.
 *
 * <p>For one incarnation the calls follow virtual synchrony: {@link #onIncarnation} first, then
 * {@link #onView} for its first view (after any state transfer), then deliveries of that view,
 * then the next view, and so on. A callback may call {@link Group#multicast} (it never
 * deadlocks), but not the blocking {@link Group#send}.
 */
public interface GroupListener {

    /**
     * A new incarnation of this process starts taking part: at start, and after an automatic
     * rejoin following exclusion.
     *
     * @param self the incarnation whose events follow
     */
    default void onIncarnation(MemberId self) {
    }

    /**
     * A view is installed. For a joiner, its state (if any) was given to the
     * {@link StateConsumer} just before.
     *
     * @param view the new view
     */
    default void onView(View view) {
    }

    /**
     * The group stopped sending and delivering in view {@code viewId} to agree on the next view
     * (the flush); new multicasts wait until the next view.
     *
     * @param viewId the view being closed
     */
    default void onFlush(long viewId) {
    }

    /**
     * A multicast is delivered: every member that stays in {@code message.viewId()}'s successor
     * delivers the same messages in that view.
     *
     * @param message the message
     */
    default void onDelivery(Message message) {
    }

    /**
     * One of this member's multicasts was given a view: from here on it is delivered in that
     * view or not at all. Useful for tracing; most applications ignore it.
     *
     * @param message the message, with the view it was sent in
     */
    default void onSent(Message message) {
    }

    /**
     * The group excluded this incarnation (it was suspected, for example after a long pause).
     * If automatic rejoin is on, a new incarnation follows with {@link #onIncarnation}.
     *
     * @param self       the excluded incarnation
     * @param lastViewId the last view it was a member of
     */
    default void onExcluded(MemberId self, long lastViewId) {
    }

    /**
     * This incarnation left the group cleanly.
     *
     * @param self       the incarnation that left
     * @param lastViewId the last view it was a member of
     */
    default void onLeft(MemberId self, long lastViewId) {
    }
}
