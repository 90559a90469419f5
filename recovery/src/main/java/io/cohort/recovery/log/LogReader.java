package io.cohort.recovery.log;

import java.util.Iterator;

/**
 * Reads records of a {@link CommandLog} in sequence order, from the position given to
 * {@link CommandLog#readFrom}.
 *
 * <p>A reader follows the log: {@link #hasNext()} returning {@code false} means there is no further
 * record <em>yet</em>; it returns {@code true} again once the writer appends one. Every record it
 * returns passed its checksum, and sequences are contiguous: if records the reader still needed are
 * removed by {@link CommandLog#removeCoveredCycles} before it reaches them, {@code hasNext()} throws
 * {@link LogGapException} rather than skipping them.
 *
 * <p>A reader is used by one thread at a time (it owns a Chronicle tailer, which is single-threaded);
 * different readers may run on different threads while the writer appends. Close it when done, and
 * before closing the log.
 */
public interface LogReader extends Iterator<LogRecord>, AutoCloseable {

    /** Releases the reader's Chronicle tailer. Idempotent. */
    @Override
    void close();
}
