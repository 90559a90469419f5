package io.cohort.recovery.checkpoint;

import java.util.List;
import java.util.Objects;

/**
 * What the replica knows about the state it is about to checkpoint; {@link CheckpointStore#write}
 * stores it in the checkpoint's manifest next to the size and checksum of the data.
 *
 * @param sequence        the command-log sequence the state covers: commands {@code 1..sequence} are
 *                        applied in it, so recovery replays the log from {@code sequence + 1};
 *                        {@code 0} is the empty initial state
 * @param viewId          the view the replica was in when the state was taken
 * @param appliedIndex    the replica's applied index at that point
 * @param stateHash       the state machine's hash of the state, so a restored replica can be
 *                        compared with its peers
 * @param lastViewId      id of the last view installed when the checkpoint was taken
 * @param lastViewMembers names of the members of that view, in rank order; never null
 */
public record CheckpointMetadata(long sequence, long viewId, long appliedIndex, long stateHash,
                                 long lastViewId, List<String> lastViewMembers) {

    /**
     * Validates and freezes the metadata.
     *
     * @throws IllegalArgumentException if the sequence is negative
     * @throws NullPointerException     if the member list or one of its names is null
     */
    public CheckpointMetadata {
        if (sequence < 0) {
            throw new IllegalArgumentException("sequence must be >= 0, was " + sequence);
        }
        lastViewMembers = List.copyOf(Objects.requireNonNull(lastViewMembers, "lastViewMembers"));
    }
}
