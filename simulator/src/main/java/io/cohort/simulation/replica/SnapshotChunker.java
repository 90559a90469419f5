package io.cohort.simulation.replica;

import java.io.OutputStream;
import java.util.Arrays;

/**
 * Cuts a snapshot, as it is written, into small fixed-size chunks handed to a sink, so that even
 * small states travel in several pieces (and a donor failing mid-stream is exercised). Closing
 * hands over the rest as the last chunk.
 */
final class SnapshotChunker extends OutputStream {

    /** Receives chunks in order. */
    interface Sink {
        void chunk(byte[] bytes, boolean last);
    }

    private final byte[] buffer;
    private final Sink sink;
    private int used;
    private boolean closed;

    SnapshotChunker(int chunkBytes, Sink sink) {
        this.buffer = new byte[chunkBytes];
        this.sink = sink;
    }

    @Override
    public void write(int b) {
        if (used == buffer.length) {
            emit(false);
        }
        buffer[used++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
        while (len > 0) {
            if (used == buffer.length) {
                emit(false);
            }
            int n = Math.min(len, buffer.length - used);
            System.arraycopy(b, off, buffer, used, n);
            used += n;
            off += n;
            len -= n;
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            emit(true);
        }
    }

    private void emit(boolean last) {
        sink.chunk(Arrays.copyOf(buffer, used), last);
        used = 0;
    }
}
