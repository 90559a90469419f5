package io.cohort.protocol.multicast;

import io.cohort.protocol.wire.OrderRuns;

import java.util.Arrays;

/**
 * The total order of one view: position p (from 1) names the TOTAL-stream message
 * {@code (rank, seq)} delivered p-th. Positions {@code (discarded, length]} are retained.
 */
final class OrderLog {

    private int[] ranks = new int[64];
    private long[] seqs = new long[64];
    private int head;
    private long discarded;
    private long length;

    long length() {
        return length;
    }

    long discarded() {
        return discarded;
    }

    void append(int rank, long seq) {
        int size = (int) (length - discarded);
        if (size == ranks.length) {
            int[] r = new int[ranks.length * 2];
            long[] s = new long[seqs.length * 2];
            for (int i = 0; i < size; i++) {
                int j = (head + i) & (ranks.length - 1);
                r[i] = ranks[j];
                s[i] = seqs[j];
            }
            ranks = r;
            seqs = s;
            head = 0;
        }
        int j = (head + size) & (ranks.length - 1);
        ranks[j] = rank;
        seqs[j] = seq;
        length++;
    }

    int rankAt(long position) {
        return ranks[(head + (int) (position - discarded - 1)) & (ranks.length - 1)];
    }

    long seqAt(long position) {
        return seqs[(head + (int) (position - discarded - 1)) & (ranks.length - 1)];
    }

    void discardThrough(long position) {
        long upTo = Math.min(position, length);
        while (discarded < upTo) {
            head = (head + 1) & (ranks.length - 1);
            discarded++;
        }
    }

    /**
     * Positions {@code (from, length]} as runs.
     *
     * @param from last position the reader already holds
     * @return the entries after it (empty if none, or if they were discarded)
     */
    OrderRuns runsAfter(long from) {
        long start = Math.max(from, discarded);
        if (start >= length) {
            return OrderRuns.EMPTY;
        }
        int[] r = new int[8];
        long[] f = new long[8];
        long[] c = new long[8];
        int n = 0;
        for (long p = start + 1; p <= length; p++) {
            int rank = rankAt(p);
            long seq = seqAt(p);
            if (n > 0 && r[n - 1] == rank && f[n - 1] + c[n - 1] == seq) {
                c[n - 1]++;
                continue;
            }
            if (n == r.length) {
                r = Arrays.copyOf(r, n * 2);
                f = Arrays.copyOf(f, n * 2);
                c = Arrays.copyOf(c, n * 2);
            }
            r[n] = rank;
            f[n] = seq;
            c[n] = 1;
            n++;
        }
        return new OrderRuns(Arrays.copyOf(r, n), Arrays.copyOf(f, n), Arrays.copyOf(c, n));
    }
}
