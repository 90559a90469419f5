package io.cohort.samples.kv.resp;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.samples.kv.KvCommand;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Decoding of Redis requests: whole, pipelined, split, inline, and every kind of bad input. */
class RespDecoderTest {

    private final EmbeddedChannel channel = new EmbeddedChannel(new RespDecoder(1024, 64 * 1024));

    private void send(String s) {
        channel.writeInbound(Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.ISO_8859_1)));
    }

    private List<Object> received() {
        List<Object> out = new ArrayList<>();
        Object o;
        while ((o = channel.readInbound()) != null) {
            out.add(o);
        }
        return out;
    }

    private static List<String> words(Object command) {
        List<String> w = new ArrayList<>();
        for (byte[] a : ((KvCommand) command).args()) {
            w.add(new String(a, StandardCharsets.ISO_8859_1));
        }
        return w;
    }

    @Test
    void decodesPipelinedArraysOfBulkStrings() {
        send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv1\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
        List<Object> got = received();
        assertThat(got).hasSize(2);
        assertThat(words(got.get(0))).containsExactly("SET", "k", "v1");
        assertThat(words(got.get(1))).containsExactly("GET", "k");
    }

    @Test
    void aRequestSplitAnywhereWaitsForTheRest() {
        String request = "*2\r\n$4\r\nECHO\r\n$5\r\nhe\r\no\r\n";
        for (char c : request.toCharArray()) {
            assertThat(received()).isEmpty();
            send(String.valueOf(c));
        }
        assertThat(words(received().get(0))).containsExactly("ECHO", "he\r\no");
    }

    @Test
    void binarySafeArgumentsAndInlineCommands() {
        send("*2\r\n$3\r\nGET\r\n$3\r\n\u0000\u00ff\n\r\n");
        assertThat(((KvCommand) received().get(0)).arg(1)).containsExactly(0, 0xff, '\n');
        send("PING\r\n\r\nSET \"a b\" 'c d'\n");
        List<Object> got = received();
        assertThat(got).hasSize(2);
        assertThat(words(got.get(0))).containsExactly("PING");
        assertThat(words(got.get(1))).containsExactly("SET", "a b", "c d");
    }

    @Test
    void anEmptyArrayIsIgnoredAsRedisDoes() {
        send("*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n");
        assertThat(received()).singleElement().satisfies(c -> assertThat(words(c)).containsExactly("PING"));
    }

    @Test
    void malformedInputGetsRedisErrorsAndNothingAfterIt() {
        send("*abc\r\n*1\r\n$4\r\nPING\r\n");
        List<Object> got = received();
        assertThat(got).hasSize(1);
        assertThat(new String(((RespDecoder.ProtocolError) got.get(0)).reply(), StandardCharsets.UTF_8))
                .isEqualTo("-ERR Protocol error: invalid multibulk length\r\n");
    }

    @Test
    void aHugeBulkLengthIsRefusedAtItsHeaderWithoutWaitingForTheBytes() {
        send("*2\r\n$3\r\nSET\r\n$1073741824\r\n");
        assertThat(received()).singleElement().isEqualTo(new RespDecoder.ProtocolError("invalid bulk length"));
    }

    @Test
    void eachKindOfBadInput() {
        assertThat(errorFor("*2\r\n+GET\r\n")).isEqualTo("expected '$', got '+'");
        assertThat(errorFor("*2000000\r\n")).isEqualTo("invalid multibulk length");
        assertThat(errorFor("*1\r\n$-5\r\n")).isEqualTo("invalid bulk length");
        assertThat(errorFor("*1\r\n$2\r\nabcd")).isEqualTo("expected CRLF after a bulk string");
        assertThat(errorFor("SET \"unclosed\r\n")).isEqualTo("unbalanced quotes in request");
        assertThat(errorFor("x".repeat(RespDecoder.MAX_INLINE_BYTES + 10))).isEqualTo("too big inline request");
        assertThat(errorFor("*1\r\n\u0001\u0002\r\n")).isEqualTo("expected '$', got '\\x01'");
    }

    private static String errorFor(String input) {
        EmbeddedChannel ch = new EmbeddedChannel(new RespDecoder(1024, 64 * 1024));
        ch.writeInbound(Unpooled.wrappedBuffer(input.getBytes(StandardCharsets.ISO_8859_1)));
        Object o = ch.readInbound();
        assertThat(o).as("an error for " + input.substring(0, Math.min(20, input.length()))).isInstanceOf(RespDecoder.ProtocolError.class);
        return ((RespDecoder.ProtocolError) o).message();
    }
}
