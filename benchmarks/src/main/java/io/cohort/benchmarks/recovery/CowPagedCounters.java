package io.cohort.benchmarks.recovery;

import io.cohort.api.ConcurrentSnapshots;

/**
 * {@link PagedCounters} with copy-on-write pages, so that a checkpoint does not copy the state on
 * the apply thread.
 *
 * <p>Capture (apply thread) starts a new epoch, which marks every page shared, and copies only the
 * array of page references; the returned writer writes those pages later, on the checkpoint thread.
 * A later apply that writes to a page of an older epoch first replaces it by a copy, so a captured
 * page is never written again: the writer needs no lock. The cost moves from one pause
 * proportional to the state to one page copy per page first written after each capture, plus the
 * memory of the pages copied while the writer still holds the old ones.
 */
public final class CowPagedCounters extends PagedCounters implements ConcurrentSnapshots {

    /** The epoch each page was made writable in; a page of an older epoch is shared with a capture. */
    private final int[] pageEpoch;
    private int epoch;
    private volatile long copiedBytes;

    /**
     * @param pageCount number of pages
     * @param pageLongs counters per page
     */
    public CowPagedCounters(int pageCount, int pageLongs) {
        super(pageCount, pageLongs);
        this.pageEpoch = new int[pageCount];
    }

    @Override
    protected long[] writablePage(int p) {
        if (pageEpoch[p] != epoch) {
            pages[p] = pages[p].clone();
            pageEpoch[p] = epoch;
            copiedBytes += pageLongs * 8L;
        }
        return pages[p];
    }

    @Override
    public CapturedSnapshot captureSnapshot() {
        long start = System.nanoTime();
        epoch++;
        long[][] frozen = pages.clone();
        int longs = pageLongs;
        captured(System.nanoTime() - start);
        return out -> writePages(frozen, longs, out);
    }

    @Override
    protected void restored() {
        // The restored pages are new arrays that no capture holds.
        java.util.Arrays.fill(pageEpoch, epoch);
    }

    @Override
    public long copiedBytes() {
        return copiedBytes;
    }

    @Override
    public void resetStats() {
        super.resetStats();
        copiedBytes = 0;
    }
}
