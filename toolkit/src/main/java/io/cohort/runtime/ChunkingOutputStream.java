package io.cohort.runtime;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * Cuts what a {@code StateProvider} writes into fixed-size chunks and hands each to a sink as
 * soon as it is full; {@link #finish()} hands over the last (possibly empty) chunk marked last.
 * Public so that the simulator's hosts stream state exactly as the runtime does.
 */
public final class ChunkingOutputStream extends OutputStream {

    /** Receives chunks in order. */
    public interface Sink {
        /**
         * @param bytes the chunk
         * @param last  whether it ends the stream
         * @throws IOException if it cannot be passed on
         */
        void chunk(byte[] bytes, boolean last) throws IOException;
    }

    private final byte[] buffer;
    private final Sink sink;
    private int used;
    private long total;
    private boolean finished;

    /**
     * @param chunkBytes size of every chunk but the last
     * @param sink       receives the chunks
     */
    public ChunkingOutputStream(int chunkBytes, Sink sink) {
        this.buffer = new byte[chunkBytes];
        this.sink = sink;
    }

    @Override
    public void write(int b) throws IOException {
        if (used == buffer.length) {
            emit(false);
        }
        buffer[used++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (finished) {
            throw new IOException("state stream already finished");
        }
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

    /**
     * Sends the rest as the last chunk. A stream that fails before this is never finished, so
     * its receiver never takes a partial state for a whole one.
     *
     * @throws IOException if the sink fails
     */
    public void finish() throws IOException {
        if (!finished) {
            finished = true;
            emit(true);
        }
    }

    /** @return bytes written so far */
    public long total() {
        return total;
    }

    private void emit(boolean last) throws IOException {
        byte[] chunk = Arrays.copyOf(buffer, used);
        total += used;
        used = 0;
        sink.chunk(chunk, last);
    }

    @Override
    public void close() {
        // The runtime finishes the stream; a provider closing it by habit must not end it early.
    }
}
