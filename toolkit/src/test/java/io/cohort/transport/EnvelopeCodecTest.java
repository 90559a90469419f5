package io.cohort.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EnvelopeCodecTest {

    private final EnvelopeCodec codec = new EnvelopeCodec("orders");

    private ByteBuf heartbeat() {
        ByteBuf buf = codec.finish(codec.begin(ByteBufAllocator.DEFAULT, EnvelopeKind.HEARTBEAT, 0));
        assertThat(buf.readInt()).isEqualTo(buf.readableBytes());
        return buf;
    }

    private ByteBuf withBody(byte[] body) {
        ByteBuf buf = codec.begin(ByteBufAllocator.DEFAULT, EnvelopeKind.FRAMES, body.length);
        buf.writeBytes(body);
        codec.finish(buf);
        buf.readInt();
        return buf;
    }

    @Test
    void aValidEnvelopeOpensToItsKindAndBody() throws Exception {
        ByteBuf buf = withBody(new byte[] {1, 2, 3});
        assertThat(codec.open(buf)).isEqualTo(EnvelopeKind.FRAMES);
        assertThat(buf.readableBytes()).isEqualTo(3);
        assertThat(buf.readByte()).isEqualTo((byte) 1);
    }

    @Test
    void wrongMagicIsRejected() {
        ByteBuf buf = heartbeat();
        buf.setInt(buf.readerIndex(), 0x47455420);
        assertThatThrownBy(() -> codec.open(buf)).isInstanceOfSatisfying(EnvelopeRejectedException.class,
                e -> assertThat(e.reason()).isEqualTo(RejectReason.BAD_MAGIC));
    }

    @Test
    void wrongVersionIsRejected() {
        ByteBuf buf = heartbeat();
        buf.setByte(buf.readerIndex() + 4, 9);
        assertThatThrownBy(() -> codec.open(buf)).isInstanceOfSatisfying(EnvelopeRejectedException.class,
                e -> assertThat(e.reason()).isEqualTo(RejectReason.BAD_VERSION));
    }

    @Test
    void anotherClustersEnvelopeIsRejected() {
        EnvelopeCodec other = new EnvelopeCodec("payments");
        ByteBuf buf = other.finish(other.begin(ByteBufAllocator.DEFAULT, EnvelopeKind.HEARTBEAT, 0));
        buf.readInt();
        assertThatThrownBy(() -> codec.open(buf)).isInstanceOfSatisfying(EnvelopeRejectedException.class,
                e -> assertThat(e.reason()).isEqualTo(RejectReason.WRONG_CLUSTER));
    }

    @Test
    void aFlippedBodyByteFailsTheChecksum() {
        ByteBuf buf = withBody(new byte[] {1, 2, 3, 4});
        int last = buf.writerIndex() - 1;
        buf.setByte(last, buf.getByte(last) ^ 0x10);
        assertThatThrownBy(() -> codec.open(buf)).isInstanceOfSatisfying(EnvelopeRejectedException.class,
                e -> assertThat(e.reason()).isEqualTo(RejectReason.BAD_CHECKSUM));
    }

    @Test
    void aFlippedKindByteFailsTheChecksum() {
        ByteBuf buf = withBody(new byte[] {7});
        buf.setByte(buf.readerIndex() + 5, EnvelopeKind.HEARTBEAT.code);
        assertThatThrownBy(() -> codec.open(buf)).isInstanceOfSatisfying(EnvelopeRejectedException.class,
                e -> assertThat(e.reason()).isEqualTo(RejectReason.BAD_CHECKSUM));
    }

    @Test
    void aTruncatedHeaderIsMalformed() {
        ByteBuf buf = Unpooled.wrappedBuffer(new byte[] {0x43, 0x4F, 0x48});
        assertThatThrownBy(() -> codec.open(buf)).isInstanceOfSatisfying(EnvelopeRejectedException.class,
                e -> assertThat(e.reason()).isEqualTo(RejectReason.MALFORMED));
    }

    @Test
    void clusterIdsDifferBetweenNames() {
        assertThat(EnvelopeCodec.clusterId("a")).isNotEqualTo(EnvelopeCodec.clusterId("b"));
        assertThat(EnvelopeCodec.clusterId("a")).isEqualTo(EnvelopeCodec.clusterId("a"));
    }
}
