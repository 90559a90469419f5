package io.cohort.recovery.log;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What {@link CommandLog#open} found while verifying the log.
 *
 * @param recordsVerified     how many records passed verification (and are held by the log now)
 * @param firstSequence       first sequence held after open; 0 if the log is empty
 * @param lastSequence        last sequence held after open; 0 if the log is empty
 * @param corruption          what was wrong, or {@code null} if the log was intact
 * @param quarantineDirectory where the damaged queue was moved, or {@code null} if it was intact
 */
public record OpenReport(long recordsVerified, long firstSequence, long lastSequence, Corruption corruption,
                         Path quarantineDirectory) {

    /**
     * Whether the log was intact.
     *
     * @return true if no corruption was found
     */
    public boolean clean() {
        return corruption == null;
    }

    /**
     * One defect found on open. Verification stops at the first one: nothing after it is trusted.
     *
     * @param kind     what was wrong
     * @param sequence the first sequence that was not kept: the last valid sequence + 1, or 0 when no
     *                 record before the damage was valid (the damaged record's own number cannot be
     *                 trusted)
     * @param file     the file where it was found; {@code null} if not known (the queue as a whole
     *                 could not be opened)
     * @param detail   human-readable description, for the log line
     */
    public record Corruption(CorruptionKind kind, long sequence, Path file, String detail) {

        /**
         * Validates the description.
         *
         * @param kind     what was wrong
         * @param sequence first sequence not kept, 0 if none before it was valid
         * @param file     where, or null
         * @param detail   description
         * @throws NullPointerException if kind or detail is null
         */
        public Corruption {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(detail, "detail");
        }
    }
}
