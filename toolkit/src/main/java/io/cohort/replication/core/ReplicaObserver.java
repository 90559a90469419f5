package io.cohort.replication.core;

import io.cohort.replication.ReadConsistency;
import io.cohort.replication.wire.ResponseStatus;

/**
 * Hooks a {@link ReplicaCore} calls as things happen, for metrics and tests. Every method has an
 * empty default. Called on the apply thread; keep them cheap.
 */
public interface ReplicaObserver {

    /** A client command was accepted here and sent into the group. */
    default void submitted() {
    }

    /**
     * A command or update was applied to the state machine (or recorded as failed), taking
     * applied index {@code index} (unchanged for a failed execution).
     *
     * @param clientId the client session
     * @param sequence the command's number in it
     * @param index    the applied index after it
     */
    default void applied(long clientId, long sequence, long index) {
    }

    /** A command arrived again and was answered with its stored result instead of being applied. */
    default void deduplicated() {
    }

    /**
     * A request was answered without success.
     *
     * @param status why
     */
    default void rejected(ResponseStatus status) {
    }

    /**
     * A read was answered.
     *
     * @param consistency its consistency
     */
    default void readAnswered(ReadConsistency consistency) {
    }

    /**
     * Another replica's state hash was compared with this one's.
     *
     * @param match whether they were equal
     */
    default void divergenceCheck(boolean match) {
    }

    /**
     * The state hash at an applied index was taken (after the command at that index).
     *
     * @param index the applied index
     * @param hash  the hash
     */
    default void hashed(long index, long hash) {
    }

    /**
     * The state hash due at an applied index could not be taken: the state machine's
     * {@code writeSnapshot} threw. The check is skipped; the command itself stays applied.
     *
     * @param index   the applied index
     * @param failure what was thrown
     */
    default void hashFailed(long index, RuntimeException failure) {
    }
}
