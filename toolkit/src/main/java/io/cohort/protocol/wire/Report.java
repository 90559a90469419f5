package io.cohort.protocol.wire;

/**
 * What a member holds of a view, as reported to a view-change leader.
 *
 * @param frontiers per (rank, stream) the count of messages held, gap-free from 1 (see {@link Streams#index})
 * @param orderLength number of total-order positions held
 * @param stateful whether the member holds application state (false for a joiner whose state
 *                 transfer has not completed)
 */
public record Report(long[] frontiers, long orderLength, boolean stateful) {
}
