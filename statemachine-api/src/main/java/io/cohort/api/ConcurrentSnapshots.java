package io.cohort.api;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Optional capability of a {@link StateMachine}: take a point-in-time copy of the state quickly,
 * then write it out on another thread while commands keep being applied.
 *
 * <p>Checkpoints use it so that writing a large state to disk does not stop the apply path. A
 * machine without it is checkpointed by {@link StateMachine#writeSnapshot} into memory on the
 * apply thread (a pause proportional to the state's size), then written to disk elsewhere.
 *
 * <p>Typical implementations keep their state in copy-on-write pages or a persistent (immutable,
 * structurally shared) data structure: capturing marks the current version as shared, and later
 * commands copy what they change.
 */
public interface ConcurrentSnapshots {

    /**
     * Captures the current state. Called on the apply thread between two commands; must be quick
     * (no I/O, nothing proportional to the whole state if avoidable).
     *
     * @return a writer of exactly the captured state, in the format of {@link StateMachine#writeSnapshot}
     */
    CapturedSnapshot captureSnapshot();

    /** A captured state, written out later on a checkpoint thread, at most once. */
    @FunctionalInterface
    interface CapturedSnapshot {

        /**
         * Writes the captured state, concurrently with further commands on the apply thread.
         *
         * @param out where to write; Cohort closes it
         * @throws IOException if writing fails
         */
        void writeTo(OutputStream out) throws IOException;
    }
}
