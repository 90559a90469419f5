package io.cohort.replication.wire;

import io.cohort.replication.ReadConsistency;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The binary format of the client protocol, spoken between a {@code CohortClient} and a replica's
 * {@code ClientServer}. On the wire every frame is
 *
 * <pre>
 * length:int32 | magic:"CCLI" | version:int8 (1) | type:int8 (1 = request, 2 = response) | body | crc32c:int32
 * </pre>
 *
 * where {@code length} counts the bytes after itself and the CRC32C covers version, type and body.
 * The magic is checked on its own (it is what tells a stray HTTP request or a peer-protocol
 * connection apart), the checksum catches every other damaged byte.
 *
 * <ul>
 *   <li>Request body: {@code kind:int8 | clientId:int64 | sequence:int64 | firstUnacknowledged:int64 |
 *       consistency:int8 | payloadLength:int32 | payload}.</li>
 *   <li>Response body: {@code clientId:int64 | sequence:int64 | status:int8 | viewId:int64 |
 *       payloadLength:int32 | payload}.</li>
 * </ul>
 *
 * <p>Enum values travel as explicit codes, never ordinals, so that reordering an enum cannot change
 * the wire format. {@code maxFrameBytes} bounds a whole frame <em>including</em> its length prefix,
 * the same quantity Netty's {@code LengthFieldBasedFrameDecoder} compares with its maximum, so one
 * setting serves both. Decoders take exactly one frame without its length prefix (what that
 * decoder emits with {@code initialBytesToStrip = 4}) and reject anything else with a
 * {@link MalformedClientFrameException}.
 */
public final class ClientFrameCodec {

    /** The default maximum frame size: 16 MiB, length prefix included. */
    public static final int DEFAULT_MAX_FRAME_BYTES = 16 << 20;
    /** Size of the length prefix. */
    public static final int LENGTH_BYTES = 4;
    /** The smallest maximum frame size that still fits a request with an empty payload. */
    public static final int MIN_MAX_FRAME_BYTES = 64;

    /**
     * @param maxFrameBytes a configured frame limit
     * @return it, if at least {@link #MIN_MAX_FRAME_BYTES}
     * @throws IllegalArgumentException otherwise
     */
    public static int checkMaxFrameBytes(int maxFrameBytes) {
        if (maxFrameBytes < MIN_MAX_FRAME_BYTES) {
            throw new IllegalArgumentException("maxFrameBytes " + maxFrameBytes + " < " + MIN_MAX_FRAME_BYTES);
        }
        return maxFrameBytes;
    }

    /** "CCLI": distinct from the peer transport's "COHR", so the two ports cannot be confused. */
    static final int MAGIC = 0x43434C49;
    static final byte VERSION = 1;
    static final byte TYPE_REQUEST = 1;
    static final byte TYPE_RESPONSE = 2;
    /** magic, version, type. */
    static final int HEADER_BYTES = 4 + 1 + 1;
    static final int CRC_BYTES = 4;
    /** kind, clientId, sequence, firstUnacknowledged, consistency, payload length. */
    static final int REQUEST_FIXED_BYTES = 1 + 8 + 8 + 8 + 1 + 4;
    /** clientId, sequence, status, viewId, payload length. */
    static final int RESPONSE_FIXED_BYTES = 8 + 8 + 1 + 8 + 4;

    private ClientFrameCodec() {
    }

    // =====================================================================================
    // Sizes
    // =====================================================================================

    /**
     * @param payloadBytes a request's payload size
     * @return the size of its frame on the wire, length prefix included
     */
    public static long requestFrameBytes(int payloadBytes) {
        return (long) LENGTH_BYTES + HEADER_BYTES + REQUEST_FIXED_BYTES + payloadBytes + CRC_BYTES;
    }

    /**
     * @param payloadBytes a response's payload size
     * @return the size of its frame on the wire, length prefix included
     */
    public static long responseFrameBytes(int payloadBytes) {
        return (long) LENGTH_BYTES + HEADER_BYTES + RESPONSE_FIXED_BYTES + payloadBytes + CRC_BYTES;
    }

    // =====================================================================================
    // Encoding
    // =====================================================================================

    /**
     * Encodes a request as one frame, length prefix included.
     *
     * @param alloc         allocator for the frame
     * @param request       the request
     * @param maxFrameBytes the largest frame allowed
     * @return the frame (the caller owns it)
     * @throws IllegalArgumentException if the frame would exceed {@code maxFrameBytes}
     */
    public static ByteBuf encodeRequest(ByteBufAllocator alloc, ClientRequest request, int maxFrameBytes) {
        int size = checkSize("request", requestFrameBytes(request.payload().length), maxFrameBytes);
        ByteBuf buf = alloc.buffer(size, size);
        writeRequest(buf, request);
        return buf;
    }

    /**
     * Encodes a request as one frame, length prefix included, into an array (which a client keeps
     * to resend the very same bytes after a failover).
     *
     * @param request       the request
     * @param maxFrameBytes the largest frame allowed
     * @return the frame
     * @throws IllegalArgumentException if the frame would exceed {@code maxFrameBytes}
     */
    public static byte[] encodeRequest(ClientRequest request, int maxFrameBytes) {
        byte[] out = new byte[checkSize("request", requestFrameBytes(request.payload().length), maxFrameBytes)];
        writeRequest(Unpooled.wrappedBuffer(out).writerIndex(0), request);
        return out;
    }

    /**
     * Encodes a response as one frame, length prefix included.
     *
     * @param alloc         allocator for the frame
     * @param response      the response
     * @param maxFrameBytes the largest frame allowed
     * @return the frame (the caller owns it)
     * @throws IllegalArgumentException if the frame would exceed {@code maxFrameBytes}, or the
     *                                  response breaks an invariant (see {@link #decodeResponse(ByteBuf, int)})
     */
    public static ByteBuf encodeResponse(ByteBufAllocator alloc, ClientResponse response, int maxFrameBytes) {
        checkResponse(response);
        int size = checkSize("response", responseFrameBytes(response.payload().length), maxFrameBytes);
        ByteBuf buf = alloc.buffer(size, size);
        writeResponse(buf, response);
        return buf;
    }

    /**
     * Encodes a response as one frame, length prefix included, into an array.
     *
     * @param response      the response
     * @param maxFrameBytes the largest frame allowed
     * @return the frame
     * @throws IllegalArgumentException as {@link #encodeResponse(ByteBufAllocator, ClientResponse, int)}
     */
    public static byte[] encodeResponse(ClientResponse response, int maxFrameBytes) {
        checkResponse(response);
        byte[] out = new byte[checkSize("response", responseFrameBytes(response.payload().length), maxFrameBytes)];
        writeResponse(Unpooled.wrappedBuffer(out).writerIndex(0), response);
        return out;
    }

    private static int checkSize(String what, long frameBytes, int maxFrameBytes) {
        if (frameBytes > maxFrameBytes) {
            throw new IllegalArgumentException(what + " frame of " + frameBytes + " bytes exceeds maxFrameBytes="
                    + maxFrameBytes);
        }
        return (int) frameBytes;
    }

    private static void checkResponse(ClientResponse response) {
        String broken = responseInvariant(response.sequence(), response.viewId());
        if (broken != null) {
            throw new IllegalArgumentException(broken);
        }
    }

    private static void writeRequest(ByteBuf buf, ClientRequest r) {
        int start = begin(buf, TYPE_REQUEST);
        buf.writeByte(kindCode(r.kind()));
        buf.writeLong(r.clientId());
        buf.writeLong(r.sequence());
        buf.writeLong(r.firstUnacknowledged());
        buf.writeByte(consistencyCode(r.consistency()));
        buf.writeInt(r.payload().length);
        buf.writeBytes(r.payload());
        finish(buf, start);
    }

    private static void writeResponse(ByteBuf buf, ClientResponse r) {
        int start = begin(buf, TYPE_RESPONSE);
        buf.writeLong(r.clientId());
        buf.writeLong(r.sequence());
        buf.writeByte(statusCode(r.status()));
        buf.writeLong(r.viewId());
        buf.writeInt(r.payload().length);
        buf.writeBytes(r.payload());
        finish(buf, start);
    }

    /** Writes the length placeholder and header; returns where the frame starts. */
    private static int begin(ByteBuf buf, byte type) {
        int start = buf.writerIndex();
        buf.writeInt(0);
        buf.writeInt(MAGIC);
        buf.writeByte(VERSION);
        buf.writeByte(type);
        return start;
    }

    /** Appends the checksum and fills in the length. */
    private static void finish(ByteBuf buf, int start) {
        int versionAt = start + LENGTH_BYTES + 4;
        buf.writeInt(crc(buf, versionAt, buf.writerIndex() - versionAt));
        buf.setInt(start, buf.writerIndex() - start - LENGTH_BYTES);
    }

    // =====================================================================================
    // Decoding
    // =====================================================================================

    /**
     * Decodes a request frame. On success the buffer's readable bytes are consumed.
     *
     * @param frame         exactly one frame, without its length prefix
     * @param maxFrameBytes the largest frame allowed (length prefix included)
     * @return the request
     * @throws MalformedClientFrameException if the bytes are not exactly one valid request frame
     */
    public static ClientRequest decodeRequest(ByteBuf frame, int maxFrameBytes) throws MalformedClientFrameException {
        ByteBuf body = open(frame, maxFrameBytes, TYPE_REQUEST);
        if (body.readableBytes() < REQUEST_FIXED_BYTES) {
            throw new MalformedClientFrameException("truncated request body: " + body.readableBytes()
                    + " bytes, at least " + REQUEST_FIXED_BYTES + " needed");
        }
        ClientRequest.Kind kind = kind(body.readByte());
        long clientId = body.readLong();
        long sequence = body.readLong();
        long firstUnacknowledged = body.readLong();
        ReadConsistency consistency = consistency(body.readByte());
        byte[] payload = payload(body);
        ClientRequest request;
        try {
            request = new ClientRequest(kind, clientId, sequence, firstUnacknowledged, consistency, payload);
        } catch (IllegalArgumentException e) {
            throw new MalformedClientFrameException("invariant violated: " + e.getMessage());
        }
        frame.skipBytes(frame.readableBytes());
        return request;
    }

    /**
     * Decodes a request frame.
     *
     * @param frame         exactly one frame, without its length prefix
     * @param maxFrameBytes the largest frame allowed (length prefix included)
     * @return the request
     * @throws MalformedClientFrameException if the bytes are not exactly one valid request frame
     */
    public static ClientRequest decodeRequest(byte[] frame, int maxFrameBytes) throws MalformedClientFrameException {
        return decodeRequest(Unpooled.wrappedBuffer(frame), maxFrameBytes);
    }

    /**
     * Decodes a response frame. On success the buffer's readable bytes are consumed. Besides the
     * format, a response must have {@code sequence >= 1} (sequences start at 1) and
     * {@code viewId >= 0} (0 means "no view").
     *
     * @param frame         exactly one frame, without its length prefix
     * @param maxFrameBytes the largest frame allowed (length prefix included)
     * @return the response
     * @throws MalformedClientFrameException if the bytes are not exactly one valid response frame
     */
    public static ClientResponse decodeResponse(ByteBuf frame, int maxFrameBytes) throws MalformedClientFrameException {
        ByteBuf body = open(frame, maxFrameBytes, TYPE_RESPONSE);
        if (body.readableBytes() < RESPONSE_FIXED_BYTES) {
            throw new MalformedClientFrameException("truncated response body: " + body.readableBytes()
                    + " bytes, at least " + RESPONSE_FIXED_BYTES + " needed");
        }
        long clientId = body.readLong();
        long sequence = body.readLong();
        ResponseStatus status = status(body.readByte());
        long viewId = body.readLong();
        byte[] payload = payload(body);
        String broken = responseInvariant(sequence, viewId);
        if (broken != null) {
            throw new MalformedClientFrameException("invariant violated: " + broken);
        }
        frame.skipBytes(frame.readableBytes());
        return new ClientResponse(clientId, sequence, status, viewId, payload);
    }

    /**
     * Decodes a response frame.
     *
     * @param frame         exactly one frame, without its length prefix
     * @param maxFrameBytes the largest frame allowed (length prefix included)
     * @return the response
     * @throws MalformedClientFrameException if the bytes are not exactly one valid response frame
     */
    public static ClientResponse decodeResponse(byte[] frame, int maxFrameBytes) throws MalformedClientFrameException {
        return decodeResponse(Unpooled.wrappedBuffer(frame), maxFrameBytes);
    }

    /**
     * Checks size, magic, version, checksum and type, in that order; returns a slice holding the
     * body. Magic and version come before the checksum so that a foreign or newer client is told
     * so, rather than "bad checksum".
     */
    private static ByteBuf open(ByteBuf frame, int maxFrameBytes, byte expectedType)
            throws MalformedClientFrameException {
        int n = frame.readableBytes();
        if ((long) n + LENGTH_BYTES > maxFrameBytes) {
            throw new MalformedClientFrameException("oversized frame: " + n + " bytes plus the length prefix exceed"
                    + " maxFrameBytes=" + maxFrameBytes);
        }
        if (n < HEADER_BYTES + CRC_BYTES) {
            throw new MalformedClientFrameException("truncated frame: " + n + " bytes, shorter than the "
                    + (HEADER_BYTES + CRC_BYTES) + "-byte header and checksum");
        }
        int start = frame.readerIndex();
        int magic = frame.getInt(start);
        if (magic != MAGIC) {
            throw new MalformedClientFrameException(String.format("bad magic 0x%08x, expected 0x%08x (\"CCLI\")",
                    magic, MAGIC));
        }
        byte version = frame.getByte(start + 4);
        if (version != VERSION) {
            throw new MalformedClientFrameException("unsupported version " + version + ", this build speaks "
                    + VERSION);
        }
        int crcAt = start + n - CRC_BYTES;
        int stored = frame.getInt(crcAt);
        int computed = crc(frame, start + 4, crcAt - start - 4);
        if (stored != computed) {
            throw new MalformedClientFrameException(String.format("bad CRC32C 0x%08x, computed 0x%08x",
                    stored, computed));
        }
        byte type = frame.getByte(start + 5);
        if (type != TYPE_REQUEST && type != TYPE_RESPONSE) {
            throw new MalformedClientFrameException("unknown type " + type);
        }
        if (type != expectedType) {
            throw new MalformedClientFrameException("unexpected type " + typeName(type) + ", expected "
                    + typeName(expectedType));
        }
        return frame.slice(start + HEADER_BYTES, n - HEADER_BYTES - CRC_BYTES);
    }

    /** Reads the payload, which must fill the rest of the body exactly. */
    private static byte[] payload(ByteBuf body) throws MalformedClientFrameException {
        int length = body.readInt();
        int left = body.readableBytes();
        if (length < 0) {
            throw new MalformedClientFrameException("negative payload length " + length);
        }
        if (length > left) {
            throw new MalformedClientFrameException("payload length " + length + " exceeds the " + left
                    + " bytes left in the frame");
        }
        if (length < left) {
            throw new MalformedClientFrameException((left - length) + " trailing bytes after the payload");
        }
        byte[] payload = new byte[length];
        body.readBytes(payload);
        return payload;
    }

    private static String responseInvariant(long sequence, long viewId) {
        if (sequence < 1) {
            return "response sequence " + sequence + " < 1";
        }
        if (viewId < 0) {
            return "response viewId " + viewId + " < 0";
        }
        return null;
    }

    private static int crc(ByteBuf buf, int index, int length) {
        CRC32C crc = new CRC32C();
        if (buf.nioBufferCount() == 1) {
            crc.update(buf.nioBuffer(index, length));
        } else {
            for (ByteBuffer b : buf.nioBuffers(index, length)) {
                crc.update(b);
            }
        }
        return (int) crc.getValue();
    }

    // =====================================================================================
    // Codes
    // =====================================================================================

    private static String typeName(byte type) {
        return type == TYPE_REQUEST ? "REQUEST" : "RESPONSE";
    }

    private static int kindCode(ClientRequest.Kind kind) {
        return switch (kind) {
            case COMMAND -> 1;
            case QUERY -> 2;
        };
    }

    private static ClientRequest.Kind kind(byte code) throws MalformedClientFrameException {
        return switch (code) {
            case 1 -> ClientRequest.Kind.COMMAND;
            case 2 -> ClientRequest.Kind.QUERY;
            default -> throw new MalformedClientFrameException("unknown request kind " + code);
        };
    }

    private static int consistencyCode(ReadConsistency consistency) {
        return switch (consistency) {
            case LINEARIZABLE -> 1;
            case STALE -> 2;
        };
    }

    private static ReadConsistency consistency(byte code) throws MalformedClientFrameException {
        return switch (code) {
            case 1 -> ReadConsistency.LINEARIZABLE;
            case 2 -> ReadConsistency.STALE;
            default -> throw new MalformedClientFrameException("unknown read consistency " + code);
        };
    }

    private static int statusCode(ResponseStatus status) {
        return switch (status) {
            case OK -> 0;
            case RETRY -> 1;
            case UNAVAILABLE -> 2;
            case SESSION_EXPIRED -> 3;
            case REJECTED -> 4;
            case APPLICATION_ERROR -> 5;
        };
    }

    private static ResponseStatus status(byte code) throws MalformedClientFrameException {
        return switch (code) {
            case 0 -> ResponseStatus.OK;
            case 1 -> ResponseStatus.RETRY;
            case 2 -> ResponseStatus.UNAVAILABLE;
            case 3 -> ResponseStatus.SESSION_EXPIRED;
            case 4 -> ResponseStatus.REJECTED;
            case 5 -> ResponseStatus.APPLICATION_ERROR;
            default -> throw new MalformedClientFrameException("unknown response status " + code);
        };
    }
}
