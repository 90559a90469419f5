package io.cohort.protocol.wire;

import java.util.List;

/**
 * Messages and total-order entries one member sends another during a flush so that the receiver
 * holds everything up to the cut.
 *
 * @param messages   multicasts, grouped by (rank, stream) and in stream order within a group
 * @param orderStart position of the first order entry in {@code order} (1-based)
 * @param order      total-order entries from {@code orderStart} on
 */
public record Bundle(List<MulticastMessage> messages, long orderStart, OrderRuns order) {

    /** Nothing to send. */
    public static final Bundle EMPTY = new Bundle(List.of(), 1, OrderRuns.EMPTY);

    /** Freezes the message list. */
    public Bundle {
        messages = List.copyOf(messages);
    }
}
