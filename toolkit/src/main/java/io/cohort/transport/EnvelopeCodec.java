package io.cohort.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.zip.CRC32C;

/**
 * The transport's frame format. On the wire every envelope is
 * {@code length:int32 | magic:int32 | version:int8 | kind:int8 | clusterId:int64 | crc32c:int32 | body}
 * where {@code length} counts the bytes after itself and the CRC32C covers version, kind,
 * cluster id and body. A bad magic, version, cluster id or checksum rejects the envelope, and
 * with it the connection: the stream can no longer be trusted to be in step.
 */
final class EnvelopeCodec {

    /** "COHR". */
    static final int MAGIC = 0x434F4852;
    static final byte VERSION = 1;
    /** Bytes between the length prefix and the body. */
    static final int HEADER_BYTES = 4 + 1 + 1 + 8 + 4;
    static final int LENGTH_BYTES = 4;
    private static final int CRC_OFFSET = 4 + 1 + 1 + 8;

    private final long clusterId;

    /**
     * @param clusterName the cluster this member belongs to
     */
    EnvelopeCodec(String clusterName) {
        this.clusterId = clusterId(clusterName);
    }

    /**
     * A 64-bit id of the cluster name (the first bytes of its SHA-256), so that members of
     * different clusters on the same hosts never mistake each other's frames.
     *
     * @param clusterName the name
     * @return its id
     */
    static long clusterId(String clusterName) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(clusterName.getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(d).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    long clusterId() {
        return clusterId;
    }

    /**
     * Starts an envelope: writes the length placeholder and header. Append the body, then call
     * {@link #finish(ByteBuf)}.
     *
     * @param alloc        allocator
     * @param kind         envelope kind
     * @param bodyCapacity expected body size
     * @return the buffer to append the body to
     */
    ByteBuf begin(ByteBufAllocator alloc, EnvelopeKind kind, int bodyCapacity) {
        ByteBuf buf = alloc.buffer(LENGTH_BYTES + HEADER_BYTES + bodyCapacity);
        buf.writeInt(0);
        buf.writeInt(MAGIC);
        buf.writeByte(VERSION);
        buf.writeByte(kind.code);
        buf.writeLong(clusterId);
        buf.writeInt(0);
        return buf;
    }

    /**
     * Fills in the length and checksum of an envelope begun with {@link #begin}.
     *
     * @param buf the envelope
     * @return the same buffer
     */
    ByteBuf finish(ByteBuf buf) {
        int start = buf.readerIndex();
        buf.setInt(start, buf.writerIndex() - start - LENGTH_BYTES);
        int crc = checksum(buf, start + LENGTH_BYTES, buf.writerIndex());
        buf.setInt(start + LENGTH_BYTES + CRC_OFFSET, crc);
        return buf;
    }

    /**
     * Validates one envelope (without its length prefix) and returns its kind; on return the
     * buffer's reader index is at the body.
     *
     * @param buf the envelope
     * @return its kind
     * @throws EnvelopeRejectedException if it is not a valid envelope of this cluster
     */
    EnvelopeKind open(ByteBuf buf) throws EnvelopeRejectedException {
        int start = buf.readerIndex();
        if (buf.readableBytes() < HEADER_BYTES) {
            throw new EnvelopeRejectedException(RejectReason.MALFORMED, "envelope of " + buf.readableBytes()
                    + " bytes is shorter than the " + HEADER_BYTES + "-byte header");
        }
        int magic = buf.readInt();
        if (magic != MAGIC) {
            throw new EnvelopeRejectedException(RejectReason.BAD_MAGIC, String.format("magic 0x%08x", magic));
        }
        byte version = buf.readByte();
        if (version != VERSION) {
            throw new EnvelopeRejectedException(RejectReason.BAD_VERSION, "version " + version + ", expected " + VERSION);
        }
        byte code = buf.readByte();
        long cluster = buf.readLong();
        if (cluster != clusterId) {
            throw new EnvelopeRejectedException(RejectReason.WRONG_CLUSTER,
                    String.format("cluster id %016x, expected %016x", cluster, clusterId));
        }
        int crc = buf.readInt();
        int expected = checksum(buf, start, buf.writerIndex());
        if (crc != expected) {
            throw new EnvelopeRejectedException(RejectReason.BAD_CHECKSUM,
                    String.format("crc32c %08x, computed %08x", crc, expected));
        }
        EnvelopeKind kind = EnvelopeKind.of(code);
        if (kind == null) {
            throw new EnvelopeRejectedException(RejectReason.MALFORMED, "unknown envelope kind " + code);
        }
        return kind;
    }

    /** CRC32C of an envelope's bytes from version to the end, skipping the CRC field itself. */
    private static int checksum(ByteBuf buf, int envelopeStart, int end) {
        CRC32C crc = new CRC32C();
        int headerFrom = envelopeStart + 4;
        update(crc, buf, headerFrom, CRC_OFFSET - 4);
        int bodyFrom = envelopeStart + HEADER_BYTES;
        update(crc, buf, bodyFrom, end - bodyFrom);
        return (int) crc.getValue();
    }

    private static void update(CRC32C crc, ByteBuf buf, int index, int length) {
        if (length <= 0) {
            return;
        }
        if (buf.nioBufferCount() == 1) {
            crc.update(buf.nioBuffer(index, length));
        } else {
            for (ByteBuffer b : buf.nioBuffers(index, length)) {
                crc.update(b);
            }
        }
    }

    static void writeString(ByteBuf buf, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        buf.writeShort(b.length);
        buf.writeBytes(b);
    }

    static String readString(ByteBuf buf) throws EnvelopeRejectedException {
        int len = readLength(buf, 2);
        byte[] b = new byte[len];
        buf.readBytes(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    /**
     * Reads a length field and checks that many bytes follow.
     *
     * @param buf   the buffer
     * @param width 2 or 4 bytes
     * @return the length
     * @throws EnvelopeRejectedException if the length is negative or runs past the body
     */
    static int readLength(ByteBuf buf, int width) throws EnvelopeRejectedException {
        if (buf.readableBytes() < width) {
            throw new EnvelopeRejectedException(RejectReason.MALFORMED, "truncated length field");
        }
        int len = width == 2 ? buf.readUnsignedShort() : buf.readInt();
        if (len < 0 || len > buf.readableBytes()) {
            throw new EnvelopeRejectedException(RejectReason.MALFORMED,
                    "length " + len + " with " + buf.readableBytes() + " bytes left");
        }
        return len;
    }

    static long readLong(ByteBuf buf) throws EnvelopeRejectedException {
        if (buf.readableBytes() < 8) {
            throw new EnvelopeRejectedException(RejectReason.MALFORMED, "truncated body");
        }
        return buf.readLong();
    }

    static int readInt(ByteBuf buf) throws EnvelopeRejectedException {
        if (buf.readableBytes() < 4) {
            throw new EnvelopeRejectedException(RejectReason.MALFORMED, "truncated body");
        }
        return buf.readInt();
    }

    static byte readByte(ByteBuf buf) throws EnvelopeRejectedException {
        if (buf.readableBytes() < 1) {
            throw new EnvelopeRejectedException(RejectReason.MALFORMED, "truncated body");
        }
        return buf.readByte();
    }
}
