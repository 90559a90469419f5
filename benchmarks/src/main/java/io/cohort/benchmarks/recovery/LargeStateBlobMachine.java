package io.cohort.benchmarks.recovery;

import io.cohort.api.CommandContext;
import io.cohort.api.ConcurrentSnapshots;
import io.cohort.api.StateMachine;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * A state machine whose state is one append-only file, so that a state of gigabytes never has to
 * be in any heap: for {@link LargeStateTransferBenchmark}.
 *
 * <ul>
 *   <li>Command {@code 'G' bytes:long seed:long}: appends {@code bytes} pseudo-random bytes made
 *       from {@code seed} (xorshift64, the same at every replica); answers the new length.</li>
 *   <li>Query {@code 'H'}: reads the whole file and answers {@code length:long crc32c:long}.</li>
 *   <li>Snapshot: {@code length:long}, then the file's bytes, streamed in 1 MiB pieces both ways.</li>
 *   <li>{@link ConcurrentSnapshots}: captures the current length; the file is append-only, so
 *       the captured prefix never changes and a checkpoint streams it from the file later.</li>
 * </ul>
 */
final class LargeStateBlobMachine implements StateMachine, ConcurrentSnapshots, AutoCloseable {

    static final byte GROW = 'G';
    static final byte HASH = 'H';
    private static final int BUFFER = 1 << 20;

    private final FileChannel file;
    /** Apply thread: the buffer new bytes are made in. */
    private final byte[] scratch = new byte[BUFFER];
    private volatile long length;
    private volatile long restoreNanos;
    private volatile long restoredBytes;

    /**
     * @param path the state's file, emptied now (the replica restores its state from its own storage)
     * @throws IOException if the file cannot be opened
     */
    LargeStateBlobMachine(Path path) throws IOException {
        this.file = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
    }

    /**
     * @param bytes how many bytes to append
     * @param seed  what they are made from
     * @return the command
     */
    static byte[] grow(long bytes, long seed) {
        return ByteBuffer.allocate(17).put(GROW).putLong(bytes).putLong(seed).array();
    }

    /** @return the query for {@code length + crc32c} */
    static byte[] hashQuery() {
        return new byte[] {HASH};
    }

    @Override
    public byte[] apply(CommandContext context, byte[] command) {
        ByteBuffer in = ByteBuffer.wrap(command);
        if (command.length != 17 || in.get() != GROW) {
            return "unknown command".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        long bytes = in.getLong();
        long x = in.getLong() | 1; // xorshift needs a non-zero state
        long at = length;
        try {
            for (long left = bytes; left > 0; ) {
                int n = (int) Math.min(left, BUFFER);
                for (int i = 0; i < n; i += 8) {
                    x ^= x << 13;
                    x ^= x >>> 7;
                    x ^= x << 17;
                    for (int k = 0; k < 8 && i + k < n; k++) {
                        scratch[i + k] = (byte) (x >>> (8 * k));
                    }
                }
                writeFully(ByteBuffer.wrap(scratch, 0, n), at);
                at += n;
                left -= n;
            }
        } catch (IOException e) {
            // Not a deterministic outcome: this replica cannot go on with the group's state.
            throw new UncheckedIOException("could not grow the state file", e);
        }
        length = at;
        return ByteBuffer.allocate(8).putLong(at).array();
    }

    @Override
    public byte[] query(byte[] query) {
        if (query.length != 1 || query[0] != HASH) {
            throw new IllegalArgumentException("unknown query");
        }
        long[] h = hash();
        return ByteBuffer.allocate(16).putLong(h[0]).putLong(h[1]).array();
    }

    /** @return {@code {length, crc32c}} of the state, read from the file (safe from any thread) */
    long[] hash() {
        long len = length;
        CRC32C crc = new CRC32C();
        ByteBuffer buf = ByteBuffer.allocate(BUFFER);
        try {
            for (long at = 0; at < len; ) {
                buf.clear().limit((int) Math.min(BUFFER, len - at));
                int n = file.read(buf, at);
                if (n < 0) {
                    throw new EOFException("the state file ends at " + at + " of " + len);
                }
                buf.flip();
                crc.update(buf);
                at += n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the state file", e);
        }
        return new long[] {len, crc.getValue()};
    }

    @Override
    public void writeSnapshot(OutputStream out) throws IOException {
        writePrefix(out, length);
    }

    @Override
    public CapturedSnapshot captureSnapshot() {
        long captured = length;
        return out -> writePrefix(out, captured);
    }

    private void writePrefix(OutputStream out, long len) throws IOException {
        DataOutputStream data = new DataOutputStream(out);
        data.writeLong(len);
        byte[] buf = new byte[BUFFER];
        ByteBuffer wrapped = ByteBuffer.wrap(buf);
        for (long at = 0; at < len; ) {
            wrapped.clear().limit((int) Math.min(BUFFER, len - at));
            int n = file.read(wrapped, at);
            if (n < 0) {
                throw new EOFException("the state file ends at " + at + " of " + len);
            }
            data.write(buf, 0, n);
            at += n;
        }
        data.flush();
    }

    @Override
    public void restoreSnapshot(InputStream in) throws IOException {
        long start = System.nanoTime();
        DataInputStream data = new DataInputStream(in);
        long len = data.readLong();
        if (len < 0) {
            throw new IOException("negative state length " + len);
        }
        file.truncate(0);
        byte[] buf = new byte[BUFFER];
        for (long at = 0; at < len; ) {
            int n = data.read(buf, 0, (int) Math.min(BUFFER, len - at));
            if (n < 0) {
                throw new EOFException("the snapshot ends at " + at + " of " + len + " bytes");
            }
            writeFully(ByteBuffer.wrap(buf, 0, n), at);
            at += n;
        }
        length = len;
        restoredBytes = len;
        restoreNanos = System.nanoTime() - start;
    }

    private void writeFully(ByteBuffer buf, long at) throws IOException {
        while (buf.hasRemaining()) {
            at += file.write(buf, at);
        }
    }

    /** @return the state's length */
    long length() {
        return length;
    }

    /** @return how long the last {@link #restoreSnapshot} took, in nanoseconds (0 if none) */
    long restoreNanos() {
        return restoreNanos;
    }

    /** @return how many bytes the last {@link #restoreSnapshot} wrote */
    long restoredBytes() {
        return restoredBytes;
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
