package io.cohort.simulation.check;

/**
 * The protocol-level properties of DESIGN.md section 2 that {@link HistoryChecker} judges a
 * recorded history against. Properties 9 and 10 (replica agreement, linearizability) concern the
 * application layer and are checked elsewhere.
 */
public enum Property {

    /** Same member list per view everywhere; increasing view ids; installer in its view; no skipped view. */
    VIEW_AGREEMENT(1, "view agreement: one member list per view, increasing view ids, installer belongs to the view, no view of its own skipped"),
    /** Only sent messages are delivered, as sent, at most once, never on top of the transferred state. */
    INTEGRITY(2, "integrity: only requested-then-sent messages are delivered, with their sender and order, at most once, never again after state transfer"),
    /** A message is delivered in the view it was sent in, which is the receiver's current view. */
    SENDING_VIEW_DELIVERY(3, "sending-view delivery: delivered in the view it was sent in, the receiver's current view"),
    /** Members passing from V to the same next view delivered the same messages in V. */
    VIRTUAL_SYNCHRONY(4, "virtual synchrony: members passing from V to the same next view delivered the same set in V"),
    /** FIFO and causal order, and one total order shared by TOTAL and SAFE. */
    ORDER(5, "order: FIFO per sender, causal, one total order for TOTAL and SAFE"),
    /** A SAFE message delivered by anyone in V is delivered by everyone passing into the next view. */
    SAFE_UNIFORMITY(6, "SAFE uniformity: delivered by anyone in V, delivered by every member passing into the next view"),
    /** After the network heals, live members converge on one final view and deliver every live sender's messages. */
    LIVENESS(7, "liveness: live members end in one view of exactly themselves and deliver every live sender's messages"),
    /** A joiner's state is exactly what the old members had delivered before the view it joins. */
    STATE_TRANSFER(8, "state transfer: a joiner's state equals what the old members held when installing its view");

    private final int number;
    private final String description;

    Property(int number, String description) {
        this.number = number;
        this.description = description;
    }

    /**
     * The property's number in DESIGN.md section 2, the form used in reports and discussions.
     *
     * @return the number, 1 to 8
     */
    public int number() {
        return number;
    }

    /**
     * A one-line statement of what the property requires.
     *
     * @return the description
     */
    public String description() {
        return description;
    }
}
