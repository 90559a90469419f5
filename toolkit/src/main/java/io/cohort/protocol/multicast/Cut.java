package io.cohort.protocol.multicast;

import io.cohort.protocol.wire.OrderRuns;

/**
 * Exactly which messages of a view its survivors deliver before the next view.
 *
 * @param frontiers   per (rank, stream), how many messages are delivered
 * @param orderPrefix total-order positions delivered as the sequencer ordered them
 * @param orderTail   TOTAL/SAFE messages delivered after the prefix, in this order
 */
public record Cut(long[] frontiers, long orderPrefix, OrderRuns orderTail) {
}
