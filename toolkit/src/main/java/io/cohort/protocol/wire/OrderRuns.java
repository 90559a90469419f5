package io.cohort.protocol.wire;

/**
 * A stretch of the total order written compactly: run i says "the next {@code counts[i]} positions
 * are messages {@code firstSeqs[i]}, {@code firstSeqs[i]+1}, ... of the TOTAL stream of rank
 * {@code ranks[i]}". The sequencer orders each sender's messages in stream order, so runs are
 * natural and short.
 *
 * @param ranks     sender rank of each run
 * @param firstSeqs first stream sequence of each run
 * @param counts    length of each run
 */
public record OrderRuns(int[] ranks, long[] firstSeqs, long[] counts) {

    /** The empty stretch. */
    public static final OrderRuns EMPTY = new OrderRuns(new int[0], new long[0], new long[0]);

    /** @return number of runs */
    public int size() {
        return ranks.length;
    }

    /** @return number of positions covered */
    public long positions() {
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        return total;
    }
}
