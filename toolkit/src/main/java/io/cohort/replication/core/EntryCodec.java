package io.cohort.replication.core;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;

/**
 * Binary form of {@link Entry}: one type byte, fixed-width fields, then the payload. Entries
 * arrive through the group's checked frames, so a malformed one means a bug or a foreign member;
 * decoding refuses it with {@link IllegalArgumentException} instead of guessing.
 */
public final class EntryCodec {

    /** Bytes an entry adds to its payload. */
    public static final int HEADER_BYTES = 1 + 4 * Long.BYTES;

    /** The bytes delivered were not an entry: a bug, or a member that is not a replica. */
    public static final class MalformedEntryException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        MalformedEntryException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static final byte COMMAND = 1;
    private static final byte REQUEST = 2;
    private static final byte UPDATE = 3;
    private static final byte HASH_REPORT = 4;
    private static final byte FAILED_UPDATE = 5;
    private static final byte LOG_PROGRESS = 6;

    private EntryCodec() {
    }

    /**
     * @param entry an entry
     * @return its bytes
     */
    public static byte[] encode(Entry entry) {
        if (entry instanceof Entry.Command c) {
            return client(COMMAND, c.clientId(), c.sequence(), c.firstUnacknowledged(), c.timeMillis(), c.payload());
        } else if (entry instanceof Entry.Request r) {
            return client(REQUEST, r.clientId(), r.sequence(), r.firstUnacknowledged(), r.timeMillis(), r.payload());
        } else if (entry instanceof Entry.Update u) {
            return client(u.failed() ? FAILED_UPDATE : UPDATE, u.clientId(), u.sequence(), u.firstUnacknowledged(), u.timeMillis(), u.payload());
        } else if (entry instanceof Entry.LogProgress p) {
            return ByteBuffer.allocate(1 + Long.BYTES).put(LOG_PROGRESS).putLong(p.sequence()).array();
        } else {
            Entry.HashReport h = (Entry.HashReport) entry;
            return ByteBuffer.allocate(1 + 2 * Long.BYTES).put(HASH_REPORT).putLong(h.index()).putLong(h.hash()).array();
        }
    }

    private static byte[] client(byte type, long clientId, long sequence, long firstUnacknowledged, long time,
                                 byte[] payload) {
        return ByteBuffer.allocate(HEADER_BYTES + payload.length).put(type).putLong(clientId).putLong(sequence)
                .putLong(firstUnacknowledged).putLong(time).put(payload).array();
    }

    /**
     * @param bytes an encoded entry
     * @return the entry
     * @throws MalformedEntryException if the bytes are not an entry
     */
    public static Entry decode(byte[] bytes) {
        try {
            return decodeChecked(bytes);
        } catch (IllegalArgumentException e) {
            throw new MalformedEntryException(e.getMessage(), e);
        }
    }

    private static Entry decodeChecked(byte[] bytes) {
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            byte type = b.get();
            if (type == LOG_PROGRESS) {
                Entry.LogProgress p = new Entry.LogProgress(b.getLong());
                if (b.hasRemaining() || p.sequence() < 0) {
                    throw new IllegalArgumentException("malformed log progress entry of " + bytes.length + " bytes");
                }
                return p;
            }
            if (type == HASH_REPORT) {
                Entry.HashReport h = new Entry.HashReport(b.getLong(), b.getLong());
                if (b.hasRemaining()) {
                    throw new IllegalArgumentException("hash report with " + b.remaining() + " trailing bytes");
                }
                return h;
            }
            long clientId = b.getLong();
            long sequence = b.getLong();
            long firstUnacknowledged = b.getLong();
            long time = b.getLong();
            byte[] payload = new byte[b.remaining()];
            b.get(payload);
            if (sequence < 1 || firstUnacknowledged < 1 || firstUnacknowledged > sequence) {
                throw new IllegalArgumentException("entry with sequence " + sequence + " and first unacknowledged "
                        + firstUnacknowledged);
            }
            return switch (type) {
                case COMMAND -> new Entry.Command(clientId, sequence, firstUnacknowledged, time, payload);
                case REQUEST -> new Entry.Request(clientId, sequence, firstUnacknowledged, time, payload);
                case UPDATE -> new Entry.Update(clientId, sequence, firstUnacknowledged, time, false, payload);
                case FAILED_UPDATE -> new Entry.Update(clientId, sequence, firstUnacknowledged, time, true, payload);
                default -> throw new IllegalArgumentException("unknown entry type " + type);
            };
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated entry of " + bytes.length + " bytes", e);
        }
    }
}
