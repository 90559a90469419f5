package io.cohort.replication.wire;

import io.cohort.replication.ReadConsistency;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClientProtocolCodecTest {

    private static final int MAX = ClientFrameCodec.DEFAULT_MAX_FRAME_BYTES;

    private static ClientRequest command() {
        return new ClientRequest(ClientRequest.Kind.COMMAND, 0x1122334455667788L, 42, 40,
                ReadConsistency.LINEARIZABLE, "put k v".getBytes(StandardCharsets.UTF_8));
    }

    private static ClientResponse okResponse() {
        return new ClientResponse(0x1122334455667788L, 42, ResponseStatus.OK, 7, "done".getBytes(StandardCharsets.UTF_8));
    }

    /** A frame as the frame decoder hands it over: without the length prefix. */
    private static byte[] unprefixed(byte[] frame) {
        assertThat(ByteBuffer.wrap(frame).getInt()).isEqualTo(frame.length - ClientFrameCodec.LENGTH_BYTES);
        return Arrays.copyOfRange(frame, ClientFrameCodec.LENGTH_BYTES, frame.length);
    }

    private static byte[] requestFrame(ClientRequest r) {
        return unprefixed(ClientFrameCodec.encodeRequest(r, MAX));
    }

    private static byte[] responseFrame(ClientResponse r) {
        return unprefixed(ClientFrameCodec.encodeResponse(r, MAX));
    }

    /** Applies a change to a valid frame and recomputes its checksum, to reach the checks behind it. */
    private static byte[] resealed(byte[] frame, Consumer<ByteBuffer> change) {
        byte[] copy = frame.clone();
        change.accept(ByteBuffer.wrap(copy));
        return reseal(copy);
    }

    private static byte[] reseal(byte[] frame) {
        CRC32C crc = new CRC32C();
        crc.update(frame, 4, frame.length - 8);
        ByteBuffer.wrap(frame).putInt(frame.length - 4, (int) crc.getValue());
        return frame;
    }

    /** Offsets in a frame without its length prefix. */
    private static final int TYPE_AT = 5;
    private static final int BODY_AT = 6;

    // =====================================================================================
    // Round trips
    // =====================================================================================

    @ParameterizedTest
    @EnumSource(ReadConsistency.class)
    void requestsRoundTrip(ReadConsistency consistency) throws Exception {
        for (ClientRequest.Kind kind : ClientRequest.Kind.values()) {
            ClientRequest r = new ClientRequest(kind, -5, Long.MAX_VALUE, 1, consistency, new byte[] {0, -1, 127});
            ClientRequest back = ClientFrameCodec.decodeRequest(requestFrame(r), MAX);
            assertThat(back).usingRecursiveComparison().isEqualTo(r);
        }
    }

    @Test
    void aRequestWithAnEmptyPayloadRoundTripsThroughAPooledBuffer() throws Exception {
        ClientRequest r = new ClientRequest(ClientRequest.Kind.QUERY, 1, 1, 1, ReadConsistency.STALE, new byte[0]);
        ByteBuf buf = ClientFrameCodec.encodeRequest(ByteBufAllocator.DEFAULT, r, MAX);
        try {
            assertThat(buf.readInt()).isEqualTo(buf.readableBytes());
            assertThat(ClientFrameCodec.decodeRequest(buf, MAX)).usingRecursiveComparison().isEqualTo(r);
            assertThat(buf.readableBytes()).as("the frame is consumed").isZero();
        } finally {
            buf.release();
        }
    }

    @ParameterizedTest
    @EnumSource(ResponseStatus.class)
    void responsesRoundTrip(ResponseStatus status) throws Exception {
        ClientResponse r = new ClientResponse(Long.MIN_VALUE, 3, status, 0, "why".getBytes(StandardCharsets.UTF_8));
        ByteBuf buf = ClientFrameCodec.encodeResponse(ByteBufAllocator.DEFAULT, r, MAX);
        try {
            assertThat(ByteBufUtil.getBytes(buf)).isEqualTo(ClientFrameCodec.encodeResponse(r, MAX));
            buf.skipBytes(ClientFrameCodec.LENGTH_BYTES);
            assertThat(ClientFrameCodec.decodeResponse(buf, MAX)).usingRecursiveComparison().isEqualTo(r);
        } finally {
            buf.release();
        }
    }

    @Test
    void aLargePayloadRoundTrips() throws Exception {
        byte[] payload = new byte[1 << 20];
        new java.util.Random(7).nextBytes(payload);
        ClientResponse r = new ClientResponse(9, 9, ResponseStatus.OK, 9, payload);
        assertThat(ClientFrameCodec.decodeResponse(responseFrame(r), MAX).payload()).isEqualTo(payload);
    }

    @Test
    void theFrameSizeIsBoundedIncludingTheLengthPrefix() throws Exception {
        ClientRequest r = command();
        int exact = (int) ClientFrameCodec.requestFrameBytes(r.payload().length);
        assertThat(ClientFrameCodec.encodeRequest(r, exact)).hasSize(exact);
        assertThatThrownBy(() -> ClientFrameCodec.encodeRequest(r, exact - 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exceeds maxFrameBytes");
        byte[] frame = requestFrame(r);
        assertThat(ClientFrameCodec.decodeRequest(frame, exact).sequence()).isEqualTo(42);
        assertThatThrownBy(() -> ClientFrameCodec.decodeRequest(frame, exact - 1))
                .isInstanceOf(MalformedClientFrameException.class).hasMessageStartingWith("oversized frame");
    }

    @Test
    void aResponseBreakingItsInvariantsIsNotEncoded() {
        assertThatThrownBy(() -> ClientFrameCodec.encodeResponse(
                new ClientResponse(1, 0, ResponseStatus.OK, 1, new byte[0]), MAX))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sequence 0");
        assertThatThrownBy(() -> ClientFrameCodec.encodeResponse(
                new ClientResponse(1, 1, ResponseStatus.OK, -1, new byte[0]), MAX))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("viewId -1");
    }

    // =====================================================================================
    // Corruption
    // =====================================================================================

    @Test
    void everySingleByteFlipOfARequestIsDetected() {
        byte[] frame = requestFrame(command());
        for (int i = 0; i < frame.length; i++) {
            for (int mask : new int[] {0x01, 0x80, 0xFF}) {
                byte[] bad = frame.clone();
                bad[i] ^= (byte) mask;
                int at = i;
                assertThatThrownBy(() -> ClientFrameCodec.decodeRequest(bad, MAX))
                        .as("flip 0x%02x at byte %d", mask, at)
                        .isInstanceOf(MalformedClientFrameException.class)
                        .hasMessageMatching(i < 4 ? "bad magic.*" : i == 4 ? "unsupported version.*" : "bad CRC32C.*");
            }
        }
    }

    @Test
    void everySingleByteFlipOfAResponseIsDetected() {
        byte[] frame = responseFrame(okResponse());
        for (int i = 0; i < frame.length; i++) {
            byte[] bad = frame.clone();
            bad[i] ^= (byte) 0x10;
            assertThatThrownBy(() -> ClientFrameCodec.decodeResponse(bad, MAX))
                    .as("flip at byte %d", i).isInstanceOf(MalformedClientFrameException.class);
        }
    }

    @Test
    void truncatedAndExtendedFramesAreDetected() {
        byte[] frame = requestFrame(command());
        for (int len = 0; len < frame.length; len++) {
            byte[] cut = Arrays.copyOf(frame, len);
            assertThatThrownBy(() -> ClientFrameCodec.decodeRequest(cut, MAX)).as("first %d bytes", len)
                    .isInstanceOf(MalformedClientFrameException.class);
        }
        byte[] longer = Arrays.copyOf(frame, frame.length + 1);
        assertThatThrownBy(() -> ClientFrameCodec.decodeRequest(longer, MAX))
                .isInstanceOf(MalformedClientFrameException.class);
        assertThatThrownBy(() -> ClientFrameCodec.decodeRequest(new byte[3], MAX))
                .isInstanceOf(MalformedClientFrameException.class).hasMessageStartingWith("truncated frame");
    }

    @Test
    void garbageIsABadMagic() {
        byte[] http = "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> ClientFrameCodec.decodeRequest(http, MAX))
                .isInstanceOf(MalformedClientFrameException.class).hasMessageStartingWith("bad magic 0x47455420");
    }

    @Test
    void aNewerVersionIsNamed() {
        byte[] frame = requestFrame(command());
        frame[4] = 2;
        assertThatThrownBy(() -> ClientFrameCodec.decodeRequest(frame, MAX))
                .isInstanceOf(MalformedClientFrameException.class).hasMessage("unsupported version 2, this build speaks 1");
    }

    @Test
    void aDamagedBodyIsABadChecksum() {
        byte[] frame = requestFrame(command());
        frame[frame.length - 6] ^= 0x20;
        assertThatThrownBy(() -> ClientFrameCodec.decodeRequest(frame, MAX))
                .isInstanceOf(MalformedClientFrameException.class).hasMessageStartingWith("bad CRC32C");
    }

    @Test
    void anUnknownTypeIsNamed() {
        byte[] frame = resealed(requestFrame(command()), b -> b.put(TYPE_AT, (byte) 9));
        assertThatThrownBy(() -> ClientFrameCodec.decodeRequest(frame, MAX))
                .isInstanceOf(MalformedClientFrameException.class).hasMessage("unknown type 9");
    }

    @Test
    void aResponseIsNotARequestNorTheOtherWayRound() {
        assertThatThrownBy(() -> ClientFrameCodec.decodeRequest(responseFrame(okResponse()), MAX))
                .isInstanceOf(MalformedClientFrameException.class)
                .hasMessage("unexpected type RESPONSE, expected REQUEST");
        assertThatThrownBy(() -> ClientFrameCodec.decodeResponse(requestFrame(command()), MAX))
                .isInstanceOf(MalformedClientFrameException.class)
                .hasMessage("unexpected type REQUEST, expected RESPONSE");
    }

    @Test
    void anUnknownKindIsNamed() {
        byte[] frame = resealed(requestFrame(command()), b -> b.put(BODY_AT, (byte) 3));
        assertThatThrownBy(() -> ClientFrameCodec.decodeRequest(frame, MAX))
                .isInstanceOf(MalformedClientFrameException.class).hasMessage("unknown request kind 3");
    }

    @Test
    void anUnknownConsistencyIsNamed() {
        byte[] frame = resealed(requestFrame(command()), b -> b.put(BODY_AT + 25, (byte) 0));
        assertThatThrownBy(() -> ClientFrameCodec.decodeRequest(frame, MAX))
                .isInstanceOf(MalformedClientFrameException.class).hasMessage("unknown read consistency 0");
    }

    @Test
    void anUnknownStatusIsNamed() {
        byte[] frame = resealed(responseFrame(okResponse()), b -> b.put(BODY_AT + 16, (byte) 77));
        assertThatThrownBy(() -> ClientFrameCodec.decodeResponse(frame, MAX))
                .isInstanceOf(MalformedClientFrameException.class).hasMessage("unknown response status 77");
    }

    @Test
    void payloadLengthsThatDoNotFitTheFrameAreNamed() {
        int lengthAt = BODY_AT + 26;
        byte[] negative = resealed(requestFrame(command()), b -> b.putInt(lengthAt, -1));
        assertThatThrownBy(() -> ClientFrameCodec.decodeRequest(negative, MAX))
                .isInstanceOf(MalformedClientFrameException.class).hasMessage("negative payload length -1");
        byte[] huge = resealed(requestFrame(command()), b -> b.putInt(lengthAt, Integer.MAX_VALUE));
        assertThatThrownBy(() -> ClientFrameCodec.decodeRequest(huge, MAX))
                .isInstanceOf(MalformedClientFrameException.class)
                .hasMessage("payload length 2147483647 exceeds the 7 bytes left in the frame");
        byte[] shorter = resealed(requestFrame(command()), b -> b.putInt(lengthAt, 5));
        assertThatThrownBy(() -> ClientFrameCodec.decodeRequest(shorter, MAX))
                .isInstanceOf(MalformedClientFrameException.class).hasMessage("2 trailing bytes after the payload");
    }

    @Test
    void aTruncatedBodyIsNamed() {
        byte[] frame = requestFrame(command());
        byte[] headerOnly = reseal(Arrays.copyOf(Arrays.copyOf(frame, BODY_AT + 10), BODY_AT + 14));
        assertThatThrownBy(() -> ClientFrameCodec.decodeRequest(headerOnly, MAX))
                .isInstanceOf(MalformedClientFrameException.class)
                .hasMessage("truncated request body: 10 bytes, at least 30 needed");
    }

    @Test
    void aRequestBreakingItsInvariantsIsRefused() {
        // firstUnacknowledged (offset 17 in the body) above the sequence (42).
        byte[] ahead = resealed(requestFrame(command()), b -> b.putLong(BODY_AT + 17, 43));
        assertThatThrownBy(() -> ClientFrameCodec.decodeRequest(ahead, MAX))
                .isInstanceOf(MalformedClientFrameException.class)
                .hasMessageStartingWith("invariant violated: need 1 <= firstUnacknowledged <= sequence");
        byte[] zero = resealed(requestFrame(command()), b -> b.putLong(BODY_AT + 9, 0).putLong(BODY_AT + 17, 0));
        assertThatThrownBy(() -> ClientFrameCodec.decodeRequest(zero, MAX))
                .isInstanceOf(MalformedClientFrameException.class).hasMessageStartingWith("invariant violated");
        byte[] negativeView = resealed(responseFrame(okResponse()), b -> b.putLong(BODY_AT + 17, -3));
        assertThatThrownBy(() -> ClientFrameCodec.decodeResponse(negativeView, MAX))
                .isInstanceOf(MalformedClientFrameException.class)
                .hasMessage("invariant violated: response viewId -3 < 0");
    }

    @Test
    void aFrameSpreadOverSeveralBuffersDecodes() throws Exception {
        byte[] frame = requestFrame(command());
        ByteBuf composite = Unpooled.wrappedBuffer(Arrays.copyOfRange(frame, 0, 11),
                Arrays.copyOfRange(frame, 11, frame.length));
        assertThat(ClientFrameCodec.decodeRequest(composite, MAX)).usingRecursiveComparison().isEqualTo(command());
    }
}
