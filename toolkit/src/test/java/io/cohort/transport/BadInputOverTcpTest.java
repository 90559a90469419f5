package io.cohort.transport;

import io.cohort.api.DeliveryOrder;
import io.cohort.config.CohortConfig;
import io.cohort.group.Group;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Writes bad bytes to a live member's port: each time the member closes the connection, counts
 * the reason, and goes on working.
 */
class BadInputOverTcpTest {

    private static final int MAX_FRAME = 1 << 20;
    private static SimpleMeterRegistry registry;
    private static Group group;

    @BeforeAll
    static void start() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        registry = new SimpleMeterRegistry();
        group = Group.builder(CohortConfig.builder("bad-input", "target").bindPort(port).maxFrameBytes(MAX_FRAME)
                        .stateChunkBytes(64 * 1024).outboundQueueBytes(MAX_FRAME)
                        .seeds("127.0.0.1:" + port).build())
                .meterRegistry(registry).build();
        group.join(Duration.ofSeconds(10));
    }

    @AfterAll
    static void stop() {
        group.close();
    }

    static Stream<Arguments> badInputs() {
        EnvelopeCodec ours = new EnvelopeCodec("bad-input");
        EnvelopeCodec theirs = new EnvelopeCodec("another-cluster");
        return Stream.of(
                Arguments.of("garbage text", RejectReason.OVERSIZED,
                        (Supplier<byte[]>) () -> "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII)),
                Arguments.of("length above the maximum frame size", RejectReason.OVERSIZED,
                        (Supplier<byte[]>) () -> ByteBuffer.allocate(8).putInt(MAX_FRAME + 1).putInt(0).array()),
                Arguments.of("negative length", RejectReason.OVERSIZED,
                        (Supplier<byte[]>) () -> ByteBuffer.allocate(8).putInt(-5).putInt(0).array()),
                Arguments.of("wrong magic", RejectReason.BAD_MAGIC,
                        (Supplier<byte[]>) () -> patched(ours, 4, (byte) 0x7F)),
                Arguments.of("wrong version", RejectReason.BAD_VERSION,
                        (Supplier<byte[]>) () -> patched(ours, 8, (byte) 42)),
                Arguments.of("wrong cluster id", RejectReason.WRONG_CLUSTER,
                        (Supplier<byte[]>) () -> hello(theirs)),
                Arguments.of("damaged body", RejectReason.BAD_CHECKSUM,
                        (Supplier<byte[]>) () -> {
                            byte[] b = hello(ours);
                            b[b.length - 1] ^= 0x01;
                            return b;
                        }),
                Arguments.of("frames before HELLO", RejectReason.UNEXPECTED,
                        (Supplier<byte[]>) () -> envelope(ours, EnvelopeKind.FRAMES, new byte[] {0, 0, 0, 0})),
                Arguments.of("a HELLO with a truncated body", RejectReason.MALFORMED,
                        (Supplier<byte[]>) () -> envelope(ours, EnvelopeKind.HELLO, new byte[] {0, 9, 'x'})));
    }

    private static byte[] envelope(EnvelopeCodec codec, EnvelopeKind kind, byte[] body) {
        ByteBuf buf = codec.begin(ByteBufAllocator.DEFAULT, kind, body.length);
        buf.writeBytes(body);
        codec.finish(buf);
        try {
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    private static byte[] hello(EnvelopeCodec codec) {
        ByteBuf body = ByteBufAllocator.DEFAULT.buffer();
        EnvelopeCodec.writeString(body, "intruder");
        body.writeLong(1);
        EnvelopeCodec.writeString(body, "127.0.0.1");
        body.writeInt(9);
        try {
            return envelope(codec, EnvelopeKind.HELLO, ByteBufUtil.getBytes(body));
        } finally {
            body.release();
        }
    }

    private static byte[] patched(EnvelopeCodec codec, int index, byte value) {
        byte[] b = hello(codec);
        b[index] = value;
        return b;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInputs")
    void badInputClosesTheConnectionIsCountedAndHarmsNothing(String what, RejectReason reason, Supplier<byte[]> bytes)
            throws Exception {
        double before = rejected(reason);
        try (Socket socket = new Socket("127.0.0.1", group.localAddress().getPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(bytes.get());
            out.flush();
            InputStream in = socket.getInputStream();
            // The member greets every connection with its HELLO; after our bad input it must hang up.
            byte[] sink = new byte[4096];
            while (in.read(sink) >= 0) {
                // drain until the member closes the connection
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> rejected(reason) == before + 1);
        assertThat(group.send(DeliveryOrder.SAFE, new byte[] {1}, Duration.ofSeconds(10)).viewId())
                .isEqualTo(group.view().viewId());
        assertThat(group.view().size()).isEqualTo(1);
    }

    private static double rejected(RejectReason reason) {
        var c = registry.find("cohort.transport.rejected").tag("reason", reason.tag()).counter();
        return c == null ? 0 : c.count();
    }
}
