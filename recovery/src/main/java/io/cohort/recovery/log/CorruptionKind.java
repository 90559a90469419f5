package io.cohort.recovery.log;

/**
 * What {@link CommandLog#open} found wrong with a log: the {@code kind} tag of the
 * {@code cohort.recovery.corruption} counter.
 */
public enum CorruptionKind {
    /**
     * The log ends in a damaged record: a Chronicle document left unfinished by a killed writer, or a
     * last record that is cut short or fails its checksum. Only the unfinished record is lost.
     */
    TORN_TAIL("torn-tail"),
    /** A record before the end fails its checksum; it and everything after it are dropped. */
    CHECKSUM("checksum"),
    /**
     * Sequences are not contiguous (for example a cycle file is missing); everything from the gap on
     * is dropped.
     */
    GAP("gap"),
    /**
     * Chronicle could not read the queue or a record (a damaged file or header, an undecodable record
     * with a valid checksum, a cycle file that cannot be read to its end); everything from there on is
     * dropped.
     */
    UNREADABLE("unreadable");

    private final String tag;

    CorruptionKind(String tag) {
        this.tag = tag;
    }

    /**
     * The metric tag value.
     *
     * @return lowercase, dashed name such as {@code torn-tail}
     */
    public String tag() {
        return tag;
    }
}
