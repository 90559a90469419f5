package io.cohort.protocol;

import java.util.EnumMap;
import java.util.Map;

/**
 * Counts of what one member's core ignored or did unusually. Bad input never throws out of the
 * core: it lands here, and the runtime exports these counts as metrics.
 */
public final class ProtocolCounters {

    /** Things counted. */
    public enum Kind {
        /** A frame that did not decode: truncated, garbled, or out-of-range values. */
        MALFORMED_FRAME,
        /** A frame addressed to another member or another incarnation of this one. */
        MISADDRESSED_FRAME,
        /** A frame from an incarnation the group already excluded or that left. */
        FROM_EXCLUDED_MEMBER,
        /** A message from a member that is not in the view the message claims. */
        FROM_NON_MEMBER,
        /** A message of a view this member already left behind. */
        STALE_VIEW,
        /** A message of a view too far ahead, or beyond the deferral limit. */
        FUTURE_VIEW_DROPPED,
        /** A message of the next view, held until it is installed. */
        FUTURE_VIEW_DEFERRED,
        /** A link frame received twice. */
        DUPLICATE_FRAME,
        /** A message whose content did not fit the view (wrong vector sizes, ranks, gaps). */
        INVALID_CONTENT,
        /** A frame resent because it was not acknowledged in time. */
        RETRANSMISSION,
        /** A frame that arrived after this incarnation stopped (excluded or left). */
        AFTER_EXIT,
        /** A state chunk nobody asked for, or out of order. */
        UNEXPECTED_STATE_CHUNK,
        /** A view-change ballot refused because a higher one was promised. */
        BALLOT_REJECTED,
        /** A view-change attempt started (one per ballot). */
        VIEW_CHANGE_ATTEMPT
    }

    private final long[] counts = new long[Kind.values().length];

    void increment(Kind kind) {
        counts[kind.ordinal()]++;
    }

    /**
     * @param kind what to read
     * @return its count
     */
    public long get(Kind kind) {
        return counts[kind.ordinal()];
    }

    /** @return every count, by kind */
    public Map<Kind, Long> snapshot() {
        Map<Kind, Long> m = new EnumMap<>(Kind.class);
        for (Kind k : Kind.values()) {
            m.put(k, counts[k.ordinal()]);
        }
        return m;
    }

    /** @return total of the counts that signal bad or unexpected input */
    public long rejectedInput() {
        return get(Kind.MALFORMED_FRAME) + get(Kind.MISADDRESSED_FRAME) + get(Kind.FROM_EXCLUDED_MEMBER)
                + get(Kind.FROM_NON_MEMBER) + get(Kind.STALE_VIEW) + get(Kind.FUTURE_VIEW_DROPPED)
                + get(Kind.DUPLICATE_FRAME) + get(Kind.INVALID_CONTENT) + get(Kind.UNEXPECTED_STATE_CHUNK);
    }
}
