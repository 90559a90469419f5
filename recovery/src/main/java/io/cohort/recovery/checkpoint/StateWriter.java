package io.cohort.recovery.checkpoint;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Produces the replicated state as a byte stream, for {@link CheckpointStore#write}.
 *
 * <p>The state may be larger than the heap, so it is handed over as a stream rather than a byte
 * array: the store checksums and writes each chunk as it arrives and never holds the whole state.
 */
@FunctionalInterface
public interface StateWriter {

    /**
     * Writes the complete state to {@code out}.
     *
     * <p>The stream is buffered by the store; closing it is allowed but not needed (the store
     * flushes, syncs and closes the file itself once this method returns). Writing to it after this
     * method has returned fails. If this method throws, no checkpoint is created.
     *
     * @param out where the state goes; valid only during this call
     * @throws IOException if the state cannot be produced or written
     */
    void writeTo(OutputStream out) throws IOException;
}
