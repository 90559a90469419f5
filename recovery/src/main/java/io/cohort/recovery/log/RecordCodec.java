package io.cohort.recovery.log;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32C;
import net.openhft.chronicle.bytes.Bytes;

/**
 * The on-disk form of a {@link LogRecord}: the raw bytes of one Chronicle document (no Wire field
 * names, so nothing but the record is written).
 *
 * <pre>
 *   offset  size  field
 *   0       1     format (1)
 *   1       8     sequence
 *   9       8     viewId
 *   17      1     n = sender name length in UTF-8 bytes (0..255)
 *   18      n     sender name, UTF-8
 *   18+n    8     sender incarnation
 *   26+n    4     p = payload length
 *   30+n    p     payload
 *   30+n+p  4     CRC32C of bytes [0, 30+n+p)
 * </pre>
 *
 * All numbers little-endian, fixed by this class rather than by Chronicle's byte order: the header
 * fields are assembled in a small array, so the checksum is computed over exactly the bytes written
 * and the payload is copied once (straight into the mapped file).
 *
 * <p>An encoder belongs to the writer thread, a decoder to one reading thread: both reuse buffers.
 */
final class RecordCodec {

    /** The only format so far. A new layout gets a new number, so old logs stay readable. */
    static final byte FORMAT_V1 = 1;

    static final int NAME_OFFSET = 18;
    /** Bytes around the name and payload: format, sequence, view, name length, incarnation, payload length. */
    static final int FIXED_HEADER = NAME_OFFSET + 8 + 4;
    static final int CRC_BYTES = 4;
    static final int MIN_ENCODED = FIXED_HEADER + CRC_BYTES;
    static final int MAX_HEADER = FIXED_HEADER + LogRecord.MAX_SENDER_NAME_BYTES;
    static final int MAX_ENCODED = MAX_HEADER + LogRecord.MAX_PAYLOAD_BYTES + CRC_BYTES;

    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private RecordCodec() {
    }

    static int encodedLength(int nameBytes, int payloadBytes) {
        return FIXED_HEADER + nameBytes + payloadBytes + CRC_BYTES;
    }

    /** Writes records; one per writer thread. */
    static final class Encoder {
        /** Senders are the members of a group: few names, so their encodings are cached. */
        private static final int NAME_CACHE_LIMIT = 1024;

        private final byte[] header = new byte[MAX_HEADER];
        private final byte[] crcBytes = new byte[CRC_BYTES];
        private final CRC32C crc = new CRC32C();
        private final Map<String, byte[]> names = new HashMap<>();

        /**
         * Writes {@code record} at the write position of {@code out}.
         *
         * @return the number of bytes written
         */
        int write(LogRecord record, Bytes<?> out) {
            byte[] name = nameBytes(record.senderName());
            byte[] payload = record.payload();
            int h = header(record, name, header);
            crc.reset();
            crc.update(header, 0, h);
            crc.update(payload, 0, payload.length);
            INT.set(crcBytes, 0, (int) crc.getValue());
            out.write(header, 0, h);
            out.write(payload, 0, payload.length);
            out.write(crcBytes, 0, CRC_BYTES);
            return h + payload.length + CRC_BYTES;
        }

        private byte[] nameBytes(String name) {
            byte[] bytes = names.get(name);
            if (bytes == null) {
                if (names.size() >= NAME_CACHE_LIMIT) {
                    names.clear();
                }
                bytes = name.getBytes(StandardCharsets.UTF_8);
                names.put(name, bytes);
            }
            return bytes;
        }
    }

    /** Fills {@code into} with everything before the payload; returns its length. */
    static int header(LogRecord record, byte[] name, byte[] into) {
        into[0] = FORMAT_V1;
        LONG.set(into, 1, record.sequence());
        LONG.set(into, 9, record.viewId());
        into[17] = (byte) name.length;
        System.arraycopy(name, 0, into, NAME_OFFSET, name.length);
        int p = NAME_OFFSET + name.length;
        LONG.set(into, p, record.senderIncarnation());
        INT.set(into, p + 8, record.payload().length);
        return p + 12;
    }

    /** Encodes a whole record into a new array (tests, and tools that damage logs on purpose). */
    static byte[] encode(LogRecord record) {
        byte[] name = record.senderName().getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[encodedLength(name.length, record.payload().length)];
        int h = header(record, name, out);
        System.arraycopy(record.payload(), 0, out, h, record.payload().length);
        CRC32C crc = new CRC32C();
        crc.update(out, 0, out.length - CRC_BYTES);
        INT.set(out, out.length - CRC_BYTES, (int) crc.getValue());
        return out;
    }

    /** Reads records; one per reading thread. After a failed {@link #read}, {@link #failure} says why. */
    static final class Decoder {
        private final byte[] header = new byte[MAX_HEADER + CRC_BYTES];
        private final CRC32C crc = new CRC32C();
        private byte[] scratch;
        private CorruptionKind failureKind;
        private String failure;

        /**
         * Decodes the document between the read position and read limit of {@code in}.
         *
         * @return the record, or {@code null} if it fails its checksum or cannot be decoded
         */
        LogRecord read(Bytes<?> in) {
            failureKind = null;
            failure = null;
            long start = in.readPosition();
            long length = in.readRemaining();
            if (length < MIN_ENCODED || length > MAX_ENCODED) {
                return structural(in, start, length, "document of " + length + " bytes cannot hold a record");
            }
            in.read(header, 0, NAME_OFFSET);
            int n = header[17] & 0xFF;
            if (length < encodedLength(n, 0)) {
                return structural(in, start, length, "document of " + length + " bytes is shorter than its "
                        + n + "-byte sender name");
            }
            in.read(header, NAME_OFFSET, n + 12);
            int h = NAME_OFFSET + n + 12;
            int p = (int) INT.get(header, h - 4);
            if (p < 0 || length != encodedLength(n, p)) {
                return structural(in, start, length, "payload length " + p + " does not fit a document of "
                        + length + " bytes");
            }
            byte[] payload = new byte[p];
            in.read(payload, 0, p);
            in.read(header, h, CRC_BYTES);
            crc.reset();
            crc.update(header, 0, h);
            crc.update(payload, 0, p);
            int stored = (int) INT.get(header, h);
            if (stored != (int) crc.getValue()) {
                return fail(CorruptionKind.CHECKSUM, "checksum mismatch (stored " + Integer.toHexString(stored)
                        + ", computed " + Integer.toHexString((int) crc.getValue()) + ")");
            }
            long sequence = (long) LONG.get(header, 1);
            long viewId = (long) LONG.get(header, 9);
            if (header[0] != FORMAT_V1) {
                return fail(CorruptionKind.UNREADABLE, "unknown record format " + header[0]);
            }
            if (sequence < 1 || viewId < 0) {
                return fail(CorruptionKind.UNREADABLE, "invalid sequence " + sequence + " or view " + viewId);
            }
            String name = new String(header, NAME_OFFSET, n, StandardCharsets.UTF_8);
            long incarnation = (long) LONG.get(header, NAME_OFFSET + n);
            return new LogRecord(sequence, viewId, name, incarnation, payload);
        }

        /**
         * The document's lengths do not fit the layout. Whether it is damage or a record this version
         * cannot decode depends on the checksum over the raw bytes, so compute that.
         */
        private LogRecord structural(Bytes<?> in, long start, long length, String why) {
            if (length < CRC_BYTES) {
                return fail(CorruptionKind.CHECKSUM, why);
            }
            if (scratch == null) {
                scratch = new byte[8192];
            }
            crc.reset();
            in.readPosition(start);
            long covered = length - CRC_BYTES;
            while (covered > 0) {
                int chunk = (int) Math.min(scratch.length, covered);
                in.read(scratch, 0, chunk);
                crc.update(scratch, 0, chunk);
                covered -= chunk;
            }
            in.read(scratch, 0, CRC_BYTES);
            boolean checksumOk = (int) INT.get(scratch, 0) == (int) crc.getValue();
            return checksumOk ? fail(CorruptionKind.UNREADABLE, why + " (checksum valid)")
                    : fail(CorruptionKind.CHECKSUM, why + " (checksum mismatch)");
        }

        private LogRecord fail(CorruptionKind kind, String why) {
            failureKind = kind;
            failure = why;
            return null;
        }

        /** {@link CorruptionKind#CHECKSUM} or {@link CorruptionKind#UNREADABLE} after a failed read. */
        CorruptionKind failureKind() {
            return failureKind;
        }

        /** Why the last read failed. */
        String failure() {
            return failure;
        }
    }
}
