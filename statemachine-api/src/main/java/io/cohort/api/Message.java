package io.cohort.api;

import java.util.Objects;

/**
 * A multicast as a member delivers it.
 *
 * @param sender  the member that multicast it
 * @param viewId  the view in which it was sent and is delivered
 * @param order   its delivery order
 * @param payload the application bytes; the receiver owns this array
 */
public record Message(MemberId sender, long viewId, DeliveryOrder order, byte[] payload) {

    /** Validates the fields. */
    public Message {
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(order, "order");
        Objects.requireNonNull(payload, "payload");
    }
}
