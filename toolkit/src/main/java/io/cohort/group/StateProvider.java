package io.cohort.group;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes the application state for a joining member. Called on the application executor at the
 * exact point of the joiner's cut: the state must reflect every delivery already handed to the
 * listeners and none after. The stream is chunked and sent to the joiner as it is written.
 */
@FunctionalInterface
public interface StateProvider {

    /**
     * @param out where to write the state; do not close it
     * @throws IOException if the state cannot be written; the joiner gets it from another donor
     */
    void writeState(OutputStream out) throws IOException;

    /**
     * Writes the state for one particular joiner. The default ignores what is known about the
     * joiner and calls {@link #writeState(OutputStream)}; a provider that can send less to a joiner
     * that still holds part of the state (a log suffix rather than a full snapshot) overrides it.
     *
     * @param out     where to write the state; do not close it
     * @param request who asks, for which view, and the joiner's hint
     * @throws IOException if the state cannot be written; the joiner gets it from another donor
     */
    default void writeState(OutputStream out, StateRequest request) throws IOException {
        writeState(out);
    }

    /**
     * Optionally captures, at the joiner's cut, a state that is written later on a state-transfer
     * thread while the application executor goes on with deliveries: for example files that no
     * longer change (a checkpoint and a range of a log). Called on the application executor, at
     * the cut; must be quick. The default returns null: the state is then written at the cut with
     * {@link #writeState(OutputStream, StateRequest)}, and deliveries wait for it.
     *
     * @param request who asks, for which view, and the joiner's hint
     * @return the captured state, or null to write it at the cut
     * @throws IOException if the state cannot be captured; the joiner gets it from another donor
     */
    default Deferred defer(StateRequest request) throws IOException {
        return null;
    }

    /** A state captured by {@link #defer}, written once, off the application executor. */
    @FunctionalInterface
    interface Deferred {

        /**
         * @param out where to write the state; do not close it
         * @throws IOException if the state cannot be written; the donor then leaves the group
         */
        void writeTo(OutputStream out) throws IOException;
    }
}
