package io.cohort.benchmarks.recovery;

import io.cohort.api.CommandContext;
import io.cohort.api.StateMachine;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A large state for the checkpoint benchmark: {@code pageCount * pageLongs} long counters kept in
 * fixed-size pages. A command is {@code 'A' index:int padding...}: it increments counter
 * {@code index mod size} and returns its new value (8 bytes).
 *
 * <p>This class does not implement {@link io.cohort.api.ConcurrentSnapshots}: a checkpoint copies
 * the whole state with {@link #writeSnapshot} on the apply thread. {@link CowPagedCounters} adds
 * copy-on-write capture over the same pages and snapshot format.
 *
 * <p>Snapshot format: {@code pageCount:int pageLongs:int}, then every counter, big-endian, page by page.
 *
 * <p>For the benchmark it also measures, on the apply thread: the time spent capturing the state
 * (in {@link #writeSnapshot} here, in {@code captureSnapshot} in the subclass) and the longest gap
 * between the end of one apply and the start of the next. {@link #resetStats()} starts a new period.
 */
public class PagedCounters implements StateMachine {

    /** The command's operation byte. */
    public static final byte ADD = 'A';

    /** The pages; a subclass may replace a page by a copy before it is written. */
    protected long[][] pages;
    /** Counters per page. */
    protected final int pageLongs;
    private final long size;

    // Statistics, written on the apply thread, read by the benchmark (approximately: volatile).
    private volatile long captures;
    private volatile long captureNanos;
    private volatile long captureMaxNanos;
    private volatile long maxGapNanos;
    private long lastApplyEnd;

    /**
     * @param pageCount number of pages
     * @param pageLongs counters per page
     */
    public PagedCounters(int pageCount, int pageLongs) {
        if (pageCount < 1 || pageLongs < 1) {
            throw new IllegalArgumentException("pageCount and pageLongs must be positive");
        }
        this.pageLongs = pageLongs;
        this.size = (long) pageCount * pageLongs;
        this.pages = new long[pageCount][pageLongs];
    }

    /**
     * @param stateBytes the size of the state, in bytes (rounded down to whole pages, at least one)
     * @param pageBytes  the size of a page, in bytes (a multiple of 8)
     * @return the page count for those sizes
     */
    public static int pagesFor(long stateBytes, int pageBytes) {
        return (int) Math.max(1, stateBytes / pageBytes);
    }

    /**
     * @param index   the counter to increment
     * @param command where to write the command; its length is the command's size (at least 5)
     * @return {@code command}
     */
    public static byte[] command(int index, byte[] command) {
        ByteBuffer.wrap(command).put(ADD).putInt(index);
        return command;
    }

    /** @return the number of counters */
    public long size() {
        return size;
    }

    /**
     * @param index a counter's index
     * @return its value
     */
    public long get(long index) {
        return pages[(int) (index / pageLongs)][(int) (index % pageLongs)];
    }

    @Override
    public byte[] apply(CommandContext context, byte[] command) {
        long start = System.nanoTime();
        if (lastApplyEnd != 0 && start - lastApplyEnd > maxGapNanos) {
            maxGapNanos = start - lastApplyEnd;
        }
        byte[] result;
        if (command.length >= 5 && command[0] == ADD) {
            long index = Math.floorMod(ByteBuffer.wrap(command, 1, 4).getInt(), size);
            int p = (int) (index / pageLongs);
            long[] page = writablePage(p);
            long value = ++page[(int) (index % pageLongs)];
            result = ByteBuffer.allocate(8).putLong(value).array();
        } else {
            result = "unknown command".getBytes(StandardCharsets.UTF_8);
        }
        lastApplyEnd = System.nanoTime();
        return result;
    }

    /**
     * @param p a page number
     * @return the page, ready to be written (here: itself)
     */
    protected long[] writablePage(int p) {
        return pages[p];
    }

    @Override
    public void writeSnapshot(OutputStream out) throws IOException {
        long start = System.nanoTime();
        writePages(pages, pageLongs, out);
        captured(System.nanoTime() - start);
    }

    /** Writes pages in the snapshot format. */
    static void writePages(long[][] pages, int pageLongs, OutputStream out) throws IOException {
        DataOutputStream data = new DataOutputStream(out);
        data.writeInt(pages.length);
        data.writeInt(pageLongs);
        data.flush();
        ByteBuffer buffer = ByteBuffer.allocate(pageLongs * 8);
        for (long[] page : pages) {
            buffer.clear();
            buffer.asLongBuffer().put(page);
            out.write(buffer.array(), 0, buffer.capacity());
        }
        out.flush();
    }

    @Override
    public void restoreSnapshot(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        int count = data.readInt();
        int longs = data.readInt();
        if (count != pages.length || longs != pageLongs) {
            throw new IOException("snapshot of " + count + " pages of " + longs + " counters, expected "
                    + pages.length + " of " + pageLongs);
        }
        byte[] bytes = new byte[pageLongs * 8];
        long[][] restored = new long[count][pageLongs];
        for (long[] page : restored) {
            data.readFully(bytes);
            ByteBuffer.wrap(bytes).asLongBuffer().get(page);
        }
        pages = restored;
        restored();
    }

    /** Called after {@link #restoreSnapshot} replaced the pages. */
    protected void restored() {
    }

    /** Records one capture's time on the apply thread. */
    protected final void captured(long nanos) {
        captures++;
        captureNanos += nanos;
        if (nanos > captureMaxNanos) {
            captureMaxNanos = nanos;
        }
    }

    /** @return captures since the last {@link #resetStats()} */
    public long captures() {
        return captures;
    }

    /** @return total time of the captures since the last {@link #resetStats()} */
    public long captureNanos() {
        return captureNanos;
    }

    /** @return the longest capture since the last {@link #resetStats()} */
    public long captureMaxNanos() {
        return captureMaxNanos;
    }

    /** @return the longest gap between two applies since the last {@link #resetStats()} */
    public long maxGapNanos() {
        return maxGapNanos;
    }

    /** @return bytes copied by copy-on-write since the last {@link #resetStats()} (0 here) */
    public long copiedBytes() {
        return 0;
    }

    /** Starts a new measurement period (call it from any thread; the figures are approximate at the boundary). */
    public void resetStats() {
        captures = 0;
        captureNanos = 0;
        captureMaxNanos = 0;
        maxGapNanos = 0;
    }
}
