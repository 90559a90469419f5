package io.cohort.replication.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Batches linearizable reads into view-confirmation rounds: every read waits for a round that
 * began after it arrived, and one round serves every read that arrived while the previous round was
 * out. One round at a time, so a burst of reads costs one round trip, not one each.
 *
 * @param <R> a waiting read
 */
public final class LinearizableReads<R> {

    private List<R> waiting = new ArrayList<>();
    private List<R> inRound = List.of();
    private long roundToken;
    private long nextToken;

    /**
     * @param read a new read
     * @return the token of a round to start now, or 0 if a round is already out (the read waits for the next)
     */
    public long add(R read) {
        waiting.add(read);
        return roundToken == 0 ? startRound() : 0;
    }

    private long startRound() {
        inRound = waiting;
        waiting = new ArrayList<>();
        roundToken = ++nextToken;
        return roundToken;
    }

    /**
     * A round ended.
     *
     * @param token the round
     * @return the reads it covered (empty if the token is not the open round's)
     */
    public List<R> finish(long token) {
        if (token != roundToken || token == 0) {
            return List.of();
        }
        List<R> done = inRound;
        inRound = List.of();
        roundToken = 0;
        return done;
    }

    /** @return the token of a round to start now for reads that queued meanwhile, or 0 if none wait */
    public long next() {
        return roundToken == 0 && !waiting.isEmpty() ? startRound() : 0;
    }

    /** @return every read, waiting or in a round, removed (they fail) */
    public List<R> takeAll() {
        List<R> all = new ArrayList<>(inRound);
        all.addAll(waiting);
        waiting = new ArrayList<>();
        inRound = List.of();
        roundToken = 0;
        return all;
    }
}
