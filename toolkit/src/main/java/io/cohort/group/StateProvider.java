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
}
