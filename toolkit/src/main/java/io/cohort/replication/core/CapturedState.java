package io.cohort.replication.core;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A replica's state captured at one point of the delivery sequence, for a checkpoint written on
 * another thread while the replica goes on applying. Written at most once.
 */
public final class CapturedState {

    private final byte[] head;
    private final AppliedState.Capture applied;
    private final long logSequence;
    private final long appliedIndex;
    private final long viewId;

    CapturedState(byte[] head, AppliedState.Capture applied, long logSequence, long appliedIndex, long viewId) {
        this.head = head;
        this.applied = applied;
        this.logSequence = logSequence;
        this.appliedIndex = appliedIndex;
        this.viewId = viewId;
    }

    /** @return the log sequence of the last command or update the state includes */
    public long logSequence() {
        return logSequence;
    }

    /** @return the applied index at the capture */
    public long appliedIndex() {
        return appliedIndex;
    }

    /** @return the view installed at the capture (0 outside a view) */
    public long viewId() {
        return viewId;
    }

    /**
     * Writes the state in the format of {@link ReplicaCore#writeSnapshot}.
     *
     * @param out where to write; not closed
     * @return the state hash at the capture point (as {@link AppliedState#hash()} would have given)
     * @throws IOException if writing fails
     */
    public long writeTo(OutputStream out) throws IOException {
        out.write(head);
        return applied.writeTo(out);
    }
}
