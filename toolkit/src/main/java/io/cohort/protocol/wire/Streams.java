package io.cohort.protocol.wire;

import io.cohort.api.DeliveryOrder;

/**
 * Each sender has three independent, gap-free message streams per view. TOTAL and SAFE share one
 * stream because they share one total order; the message itself says which of the two it is.
 */
public final class Streams {

    /** Stream of FIFO messages. */
    public static final int FIFO = 0;
    /** Stream of CAUSAL messages. */
    public static final int CAUSAL = 1;
    /** Stream of TOTAL and SAFE messages, sequenced by the coordinator. */
    public static final int TOTAL = 2;
    /** Streams per sender. */
    public static final int COUNT = 3;

    private Streams() {
    }

    /**
     * @param order a delivery order
     * @return the stream that carries it
     */
    public static int of(DeliveryOrder order) {
        return switch (order) {
            case FIFO -> FIFO;
            case CAUSAL -> CAUSAL;
            case TOTAL, SAFE -> TOTAL;
        };
    }

    /**
     * Index of a (sender, stream) pair in per-view frontier arrays.
     *
     * @param rank   sender rank
     * @param stream stream
     * @return {@code rank * COUNT + stream}
     */
    public static int index(int rank, int stream) {
        return rank * COUNT + stream;
    }
}
