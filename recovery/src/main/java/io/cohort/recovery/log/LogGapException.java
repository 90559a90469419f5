package io.cohort.recovery.log;

/**
 * The log no longer holds records that a read asked for: they were removed after a checkpoint
 * covered them (see {@link CommandLog#removeCoveredCycles}). The reader must get them, or a
 * checkpoint covering them, from elsewhere.
 *
 * <p>Unchecked, because a {@link LogReader} can discover it inside {@link java.util.Iterator#hasNext()}
 * when removal overtakes a slow reader.
 */
public final class LogGapException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The sequence that was asked for. */
    private final long requestedSequence;
    /** The lowest sequence the log held when the gap was found, 0 if none. */
    private final long firstAvailableSequence;

    /**
     * Creates the exception.
     *
     * @param requestedSequence      the sequence that was asked for
     * @param firstAvailableSequence the lowest sequence the log holds now (0 if it holds none)
     */
    public LogGapException(long requestedSequence, long firstAvailableSequence) {
        super("record " + requestedSequence + " was removed from the log; the first record held is "
                + firstAvailableSequence);
        this.requestedSequence = requestedSequence;
        this.firstAvailableSequence = firstAvailableSequence;
    }

    /**
     * The sequence that was asked for.
     *
     * @return the requested sequence
     */
    public long requestedSequence() {
        return requestedSequence;
    }

    /**
     * The lowest sequence the log held when the gap was found.
     *
     * @return the first available sequence, 0 if none
     */
    public long firstAvailableSequence() {
        return firstAvailableSequence;
    }
}
