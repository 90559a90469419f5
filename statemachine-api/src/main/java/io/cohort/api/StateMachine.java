package io.cohort.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The replicated object a Cohort user implements. Every replica applies the same commands in the
 * same order (they travel as {@link DeliveryOrder#SAFE} multicasts), so deterministic
 * implementations hold the same state everywhere.
 *
 * <p>Threading: Cohort calls {@link #apply}, {@link #writeSnapshot} and {@link #restoreSnapshot}
 * from one apply thread, never concurrently with each other, and never from protocol or I/O
 * threads. {@link #query} may be called from other threads concurrently with {@link #apply}; an
 * implementation that allows that must make its reads safe.
 *
 * <p>Replication modes: in active replication every replica applies every command. In
 * primary-backup and coordinator-cohort modes the member that executes a request produces an
 * update, which is itself applied through {@link #apply} on every replica; the update must then
 * carry everything needed to apply it deterministically.
 */
public interface StateMachine {

    /**
     * Applies one command. Must be deterministic: the same state and the same command (and
     * context) give the same new state and result at every replica. No wall clock, no randomness,
     * no I/O whose answer can differ between replicas.
     *
     * @param context facts about the command, identical at every replica
     * @param command the command bytes, as submitted
     * @return the result returned to the submitter; never null (use an empty array)
     */
    byte[] apply(CommandContext context, byte[] command);

    /**
     * Answers a read-only query from the current state, without changing it. Queries never enter
     * the command sequence.
     *
     * @param query the query bytes
     * @return the answer; never null
     */
    default byte[] query(byte[] query) {
        throw new IllegalStateException(getClass().getName() + " does not answer queries");
    }

    /**
     * Writes the whole current state. Cohort streams it to a joining replica in chunks (and, with
     * recovery, to checkpoints); the state is never required to fit in one byte array.
     *
     * @param out where to write; Cohort closes it
     * @throws IOException if writing fails
     */
    void writeSnapshot(OutputStream out) throws IOException;

    /**
     * Replaces the current state with one written by {@link #writeSnapshot}.
     *
     * @param in the snapshot bytes; Cohort closes it
     * @throws IOException if the snapshot cannot be read
     */
    void restoreSnapshot(InputStream in) throws IOException;
}
