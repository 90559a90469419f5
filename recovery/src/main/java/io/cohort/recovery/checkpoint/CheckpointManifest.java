package io.cohort.recovery.checkpoint;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The description of one checkpoint, stored as pretty-printed JSON next to its data file
 * ({@code checkpoint-<sequence>.json}, the field names being the component names below).
 *
 * <p>The manifest is the last file written for a checkpoint: a checkpoint exists exactly when its
 * manifest does. It carries everything needed to decide, without trusting the data file, whether
 * that file is intact: its expected size and CRC32C.
 *
 * @param formatVersion   version of the on-disk format; {@link #CURRENT_FORMAT_VERSION} for files
 *                        written by this code. Not validated here, so that a manifest of an unknown
 *                        version still parses and verification can say exactly what is wrong with it
 * @param sequence        see {@link CheckpointMetadata#sequence()}; {@code >= 0}
 * @param viewId          see {@link CheckpointMetadata#viewId()}
 * @param appliedIndex    see {@link CheckpointMetadata#appliedIndex()}
 * @param stateHash       see {@link CheckpointMetadata#stateHash()}
 * @param lastViewId      see {@link CheckpointMetadata#lastViewId()}
 * @param lastViewMembers see {@link CheckpointMetadata#lastViewMembers()}
 * @param sizeBytes       exact length of the data file; {@code >= 0}
 * @param checksum        CRC32C of the whole data file, as 8 lowercase hex digits
 * @param createdAt       when the checkpoint was written, ISO-8601; informational only
 * @param dataFile        name of the data file, relative to the checkpoint directory
 */
public record CheckpointManifest(int formatVersion, long sequence, long viewId, long appliedIndex, long stateHash,
                                 long lastViewId, List<String> lastViewMembers,
                                 long sizeBytes, String checksum, String createdAt,
                                 String dataFile) {

    /** The format version this code writes and the only one it reads. */
    public static final int CURRENT_FORMAT_VERSION = 1;

    private static final Pattern CHECKSUM = Pattern.compile("[0-9a-f]{8}");

    /**
     * Validates and freezes the manifest. A manifest read from disk goes through here too, so a
     * file with a missing or malformed field is rejected as unparsable rather than half-trusted.
     *
     * @throws IllegalArgumentException if the sequence or size is negative or the checksum is not
     *                                  8 lowercase hex digits
     * @throws NullPointerException     if a list, a member name or a string field is null
     */
    public CheckpointManifest {
        if (sequence < 0) {
            throw new IllegalArgumentException("sequence must be >= 0, was " + sequence);
        }
        if (sizeBytes < 0) {
            throw new IllegalArgumentException("sizeBytes must be >= 0, was " + sizeBytes);
        }
        Objects.requireNonNull(checksum, "checksum");
        if (!CHECKSUM.matcher(checksum).matches()) {
            throw new IllegalArgumentException("checksum must be 8 lowercase hex digits, was '" + checksum + "'");
        }
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(dataFile, "dataFile");
        lastViewMembers = List.copyOf(Objects.requireNonNull(lastViewMembers, "lastViewMembers"));
    }

    /**
     * The replica-level part of the manifest, as it was passed to {@link CheckpointStore#write}.
     *
     * @return the metadata of this checkpoint
     */
    public CheckpointMetadata metadata() {
        return new CheckpointMetadata(sequence, viewId, appliedIndex, stateHash, lastViewId, lastViewMembers);
    }
}
