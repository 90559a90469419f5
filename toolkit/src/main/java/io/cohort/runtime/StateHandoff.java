package io.cohort.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * The joiner's end of a state transfer: chunks handed over as they arrive by the protocol thread
 * ({@link #offer}), read as one {@link InputStream} by the state consumer on the application
 * executor, so that a state of any size passes through a few megabytes of memory.
 *
 * <p>The producer never blocks: {@link #offer} always takes the chunk and only reports whether the
 * buffer is past its high mark. Keeping the buffer small is the producer's job (the runtime stops
 * reading from the network while {@link #buffered()} counts toward its inbound back-pressure);
 * the {@code drained} callback tells it when the reader has taken the buffer below the low mark.
 * The reader blocks until a chunk, the end of the state, or an {@link #abort}.
 *
 * <p>Memory: the queued chunks ({@link #buffered()}) plus the one chunk the reader is in.
 *
 * <p>Threads: one producer, one reader; {@link #abort} from any thread.
 */
final class StateHandoff extends InputStream {

    private static final byte[] NONE = new byte[0];

    private final long highMark;
    private final long lowMark;
    private final Runnable drained;
    private final Object lock = new Object();

    // guarded by lock
    private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
    private long buffered;
    private long received;
    private boolean ended;
    private boolean readerClosed;
    private String abortReason;

    // reader thread only
    private byte[] current = NONE;
    private int position;

    /**
     * @param highMark {@link #offer} returns false once this many bytes are queued
     * @param lowMark  {@code drained} runs when the reader takes the queue from at least this many
     *                 bytes to fewer (and when an abort or close empties it)
     * @param drained  run on the thread that emptied the queue; must not block
     */
    StateHandoff(long highMark, long lowMark, Runnable drained) {
        if (lowMark < 0 || highMark < lowMark) {
            throw new IllegalArgumentException("marks " + lowMark + ".." + highMark);
        }
        this.highMark = highMark;
        this.lowMark = lowMark;
        this.drained = Objects.requireNonNull(drained, "drained");
    }

    // =====================================================================================
    // Producer (protocol thread)
    // =====================================================================================

    /**
     * Hands over the next chunk. Never blocks. After an abort, or once the reader closed the
     * stream, the chunk is dropped.
     *
     * @param chunk the bytes (kept, not copied)
     * @param last  whether it ends the state
     * @return whether the queue is below the high mark (false: stop producing until {@code drained})
     */
    boolean offer(byte[] chunk, boolean last) {
        synchronized (lock) {
            if (ended) {
                throw new IllegalStateException("the state already ended");
            }
            received += chunk.length;
            ended = last;
            if (abortReason == null && !readerClosed) {
                chunks.addLast(chunk);
                buffered += chunk.length;
                lock.notifyAll();
            }
            return buffered < highMark;
        }
    }

    /**
     * Fails the reader with an {@link IOException} (at its next read, or at once if it waits),
     * unless the whole state was already handed over. Drops what is queued.
     *
     * @param reason why, for the exception
     * @return whether it aborted (false: the state had ended, or it was aborted already)
     */
    boolean abort(String reason) {
        boolean emptied;
        synchronized (lock) {
            if (ended || abortReason != null) {
                return false;
            }
            abortReason = Objects.requireNonNull(reason, "reason");
            emptied = dropQueued();
            lock.notifyAll();
        }
        if (emptied) {
            drained.run();
        }
        return true;
    }

    /** @return bytes queued and not yet taken by the reader */
    long buffered() {
        synchronized (lock) {
            return buffered;
        }
    }

    /** @return bytes handed over so far (including any dropped after an abort or close) */
    long received() {
        synchronized (lock) {
            return received;
        }
    }

    /** @return whether more chunks are expected: the last has not come and nobody aborted */
    boolean receiving() {
        synchronized (lock) {
            return !ended && abortReason == null;
        }
    }

    /** @return whether {@link #abort} took effect */
    boolean aborted() {
        synchronized (lock) {
            return abortReason != null;
        }
    }

    // =====================================================================================
    // Reader (application executor)
    // =====================================================================================

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        if (!nextChunk()) {
            return -1;
        }
        int n = Math.min(len, current.length - position);
        System.arraycopy(current, position, b, off, n);
        position += n;
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = 0;
        while (skipped < n && nextChunk()) {
            int step = (int) Math.min(n - skipped, current.length - position);
            position += step;
            skipped += step;
        }
        return skipped;
    }

    @Override
    public int available() throws IOException {
        synchronized (lock) {
            failIfAborted();
            return (int) Math.min(Integer.MAX_VALUE, current.length - position + buffered);
        }
    }

    /** Ends reading: what is queued and what comes later is dropped. */
    @Override
    public void close() {
        boolean emptied;
        synchronized (lock) {
            if (readerClosed) {
                return;
            }
            readerClosed = true;
            emptied = dropQueued();
        }
        current = NONE;
        position = 0;
        if (emptied) {
            drained.run();
        }
    }

    /**
     * Makes {@code current} hold unread bytes, waiting for the producer if needed.
     *
     * @return false at the end of the state
     */
    private boolean nextChunk() throws IOException {
        boolean crossedLow = false;
        try {
            synchronized (lock) {
                failIfAborted();
                if (readerClosed) {
                    throw new IOException("the state stream is closed");
                }
                while (position == current.length) {
                    byte[] next = chunks.pollFirst();
                    if (next != null) {
                        long before = buffered;
                        buffered -= next.length;
                        crossedLow |= before >= lowMark && buffered < lowMark;
                        current = next;
                        position = 0;
                        continue;
                    }
                    if (ended) {
                        return false;
                    }
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted while waiting for the state");
                    }
                    failIfAborted();
                }
                return true;
            }
        } finally {
            if (crossedLow) {
                drained.run();
            }
        }
    }

    private void failIfAborted() throws IOException {
        if (abortReason != null) {
            current = NONE;
            position = 0;
            throw new IOException("state transfer aborted: " + abortReason);
        }
    }

    /** @return whether the queue held something (now dropped) */
    private boolean dropQueued() {
        boolean had = buffered > 0;
        chunks.clear();
        buffered = 0;
        return had;
    }
}
