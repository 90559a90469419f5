package io.cohort.recovery.checkpoint;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * A checkpoint on disk that passed verification: its manifest parsed and its data file had the
 * recorded size and CRC32C when {@link CheckpointStore#newestValid()} returned it.
 *
 * <p>Restoring and sending it to a peer both go through {@link #open()}, which streams the file and
 * checks it again as it goes, so that damage done after the verification is still caught before
 * anyone trusts the bytes.
 *
 * <p>Retention may delete the files once newer checkpoints are written. A stream that is already
 * open keeps reading on POSIX file systems (the data stays until it is closed); opening a stream
 * after the deletion fails with {@link java.nio.file.NoSuchFileException}.
 */
public final class Checkpoint {

    private final CheckpointManifest manifest;
    private final Path dataFile;

    Checkpoint(CheckpointManifest manifest, Path dataFile) {
        this.manifest = Objects.requireNonNull(manifest, "manifest");
        this.dataFile = Objects.requireNonNull(dataFile, "dataFile");
    }

    /**
     * The checkpoint's manifest: its sequence, view, hash, size and checksum.
     *
     * @return the manifest
     */
    public CheckpointManifest manifest() {
        return manifest;
    }

    /**
     * The data file.
     *
     * @return its path, inside the store's directory
     */
    public Path dataFile() {
        return dataFile;
    }

    /**
     * Opens the data file for streaming, buffered. The stream checks the size and CRC32C against the
     * manifest as it is read: when it reaches the end of a file that no longer matches, the read
     * that would return end-of-stream throws an {@link IOException} instead, so a reader that
     * consumes the stream to its end never mistakes a damaged copy for the checkpoint. Skipping
     * reads through the skipped bytes for the same reason; mark/reset is not supported.
     *
     * @return a new stream over the data; the caller closes it
     * @throws IOException if the file cannot be opened
     */
    public InputStream open() throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(dataFile), CheckpointFiles.BUFFER_SIZE);
        return new VerifyingInputStream(in, manifest, dataFile);
    }

    /**
     * Renders the sequence and data file, for logs.
     *
     * @return a short description
     */
    @Override
    public String toString() {
        return "Checkpoint[sequence=" + manifest.sequence() + ", dataFile=" + dataFile + "]";
    }

    /** Computes size and CRC32C of everything read and compares them at end-of-stream. */
    private static final class VerifyingInputStream extends FilterInputStream {

        private final CheckpointManifest manifest;
        private final Path file;
        private final CRC32C crc = new CRC32C();
        private long count;

        VerifyingInputStream(InputStream in, CheckpointManifest manifest, Path file) {
            super(in);
            this.manifest = manifest;
            this.file = file;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b < 0) {
                checkAtEnd();
            } else {
                crc.update(b);
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n < 0) {
                checkAtEnd();
            } else {
                crc.update(b, off, n);
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            // Skipping the underlying stream would leave bytes out of the checksum.
            byte[] scratch = new byte[(int) Math.min(Math.max(n, 0), CheckpointFiles.BUFFER_SIZE)];
            long skipped = 0;
            while (skipped < n) {
                int r = read(scratch, 0, (int) Math.min(scratch.length, n - skipped));
                if (r < 0) {
                    break;
                }
                skipped += r;
            }
            return skipped;
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        @Override
        public synchronized void mark(int readlimit) {
            // Not supported: a reset would count bytes twice.
        }

        @Override
        public synchronized void reset() throws IOException {
            throw new IOException("mark/reset not supported on a checkpoint stream");
        }

        private void checkAtEnd() throws IOException {
            if (count != manifest.sizeBytes()) {
                throw new IOException("checkpoint data file " + file + " changed since it was verified: "
                        + count + " bytes, manifest says " + manifest.sizeBytes());
            }
            String actual = CheckpointFiles.hex((int) crc.getValue());
            if (!actual.equals(manifest.checksum())) {
                throw new IOException("checkpoint data file " + file + " changed since it was verified: crc32c "
                        + actual + ", manifest says " + manifest.checksum());
            }
        }
    }
}
