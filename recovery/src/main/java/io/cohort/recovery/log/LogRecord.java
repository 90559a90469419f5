package io.cohort.recovery.log;

import java.util.Arrays;
import java.util.Objects;

/**
 * One delivered state-changing command, as the {@link CommandLog} holds it.
 *
 * <p>Positions are Cohort's own: {@code sequence} numbers are contiguous (1, 2, 3, ...) and the same
 * at every replica for the same command, unlike Chronicle's indexes, which differ between replicas
 * and across roll cycles and are never exposed.
 *
 * <p>The payload array is not copied, neither here nor by {@link CommandLog#append}: copying would
 * cost an allocation per command on the hot path. Whoever builds a record must not change the array
 * afterwards. Records read back from the log carry fresh arrays. {@link #equals}, {@link #hashCode}
 * and {@link #toString} look at the payload's contents, not its identity.
 *
 * @param sequence          position in the log; at least 1
 * @param viewId            the view the command was delivered in; at least 0
 * @param senderName        name of the member that multicast the command; at most 255 UTF-8 bytes
 * @param senderIncarnation incarnation of that member
 * @param payload           the command bytes; may be empty, at most {@link #MAX_PAYLOAD_BYTES}
 */
public record LogRecord(long sequence, long viewId, String senderName, long senderIncarnation, byte[] payload) {

    /** Longest sender name, in UTF-8 bytes (the same limit as a member name). */
    public static final int MAX_SENDER_NAME_BYTES = 255;

    /** Largest payload, 16 MiB. */
    public static final int MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

    /**
     * Validates the record.
     *
     * @param sequence          position in the log; at least 1
     * @param viewId            view the command was delivered in; at least 0
     * @param senderName        sender's member name; at most 255 UTF-8 bytes
     * @param senderIncarnation sender's incarnation
     * @param payload           command bytes, not copied; at most 16 MiB
     * @throws NullPointerException     if the name or payload is null
     * @throws IllegalArgumentException if a number is out of range, the name is too long or the
     *                                  payload too large
     */
    public LogRecord {
        Objects.requireNonNull(senderName, "senderName");
        Objects.requireNonNull(payload, "payload");
        if (sequence < 1) {
            throw new IllegalArgumentException("sequence must be >= 1, was " + sequence);
        }
        if (viewId < 0) {
            throw new IllegalArgumentException("viewId must be >= 0, was " + viewId);
        }
        if (payload.length > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("payload of " + payload.length + " bytes is larger than "
                    + MAX_PAYLOAD_BYTES);
        }
        int nameBytes = utf8Length(senderName);
        if (nameBytes > MAX_SENDER_NAME_BYTES) {
            throw new IllegalArgumentException("sender name of " + nameBytes + " UTF-8 bytes is longer than "
                    + MAX_SENDER_NAME_BYTES);
        }
    }

    /**
     * Length of {@code s} once encoded as by {@code s.getBytes(UTF_8)}, without encoding it: this
     * runs for every record, so it must not allocate.
     */
    static int utf8Length(String s) {
        int n = 0;
        for (int i = 0, len = s.length(); i < len; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                n += 1; // a lone surrogate is encoded as '?'
            } else {
                n += 3;
            }
        }
        return n;
    }

    /** Equal when every field is, the payload compared by content. */
    @Override
    public boolean equals(Object o) {
        return o instanceof LogRecord r
                && sequence == r.sequence
                && viewId == r.viewId
                && senderIncarnation == r.senderIncarnation
                && senderName.equals(r.senderName)
                && Arrays.equals(payload, r.payload);
    }

    /** Hash of every field, the payload by content. */
    @Override
    public int hashCode() {
        int h = Long.hashCode(sequence);
        h = 31 * h + Long.hashCode(viewId);
        h = 31 * h + senderName.hashCode();
        h = 31 * h + Long.hashCode(senderIncarnation);
        return 31 * h + Arrays.hashCode(payload);
    }

    /** The fields, with the payload's length rather than its bytes (payloads can be megabytes). */
    @Override
    public String toString() {
        return "LogRecord[sequence=" + sequence + ", viewId=" + viewId + ", sender=" + senderName + "/"
                + senderIncarnation + ", payload=" + payload.length + " bytes]";
    }
}
