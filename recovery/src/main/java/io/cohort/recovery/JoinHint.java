package io.cohort.recovery;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Where a joining replica's log ends, sent with its join request so that the donor can check that
 * its own log holds the same entry there and send only what follows.
 *
 * @param sequence     the joiner's last log sequence (0: an empty state)
 * @param viewId       the view that entry was delivered in
 * @param payloadCrc   CRC32C of that entry's bytes
 */
record JoinHint(long sequence, long viewId, int payloadCrc) {

    private static final byte VERSION = 1;
    private static final int BYTES = 1 + 2 * Long.BYTES + Integer.BYTES;

    /** The hint of an empty state: any donor's log from sequence 1 fits it. */
    static final JoinHint EMPTY_STATE = new JoinHint(0, 0, 0);

    static int crcOf(byte[] payload) {
        CRC32C crc = new CRC32C();
        crc.update(payload);
        return (int) crc.getValue();
    }

    byte[] encode() {
        return ByteBuffer.allocate(BYTES).put(VERSION).putLong(sequence).putLong(viewId).putInt(payloadCrc).array();
    }

    /**
     * @param bytes a hint as sent, possibly empty (the joiner asks for the whole state) or foreign
     * @return the hint, or null if there is none usable
     */
    static JoinHint decode(byte[] bytes) {
        if (bytes == null || bytes.length != BYTES || bytes[0] != VERSION) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes, 1, BYTES - 1);
        long sequence = b.getLong();
        long viewId = b.getLong();
        int crc = b.getInt();
        return sequence < 0 || viewId < 0 ? null : new JoinHint(sequence, viewId, crc);
    }
}
