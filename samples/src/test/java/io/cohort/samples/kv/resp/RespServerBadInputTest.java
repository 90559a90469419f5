package io.cohort.samples.kv.resp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Bad input and bad clients, each on a connection of its own while another connection stays open:
 * Redis's exact error reply, the connection closed by the server (and nothing answered after the
 * error), the other connection still served, and the meters counting it. Also clients that vanish
 * mid-request or while the store still holds their answers.
 *
 * <p>Each input ends where the error is found (or is read in one piece), so that the server has
 * read everything the client sent when it closes, and closes with a FIN, not a reset.
 */
class RespServerBadInputTest extends RespServerTestBase {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String protocolError(String message) {
        return "-ERR Protocol error: " + message + "\r\n";
    }

    /**
     * Sends {@code input} on a new connection while another one is open, and checks: the exact
     * reply, the server closing the connection, the other connection still served, the meters, and
     * that nothing of the input reached the store.
     */
    private void assertRefusedAndClosed(byte[] input, String expectedReply) throws IOException {
        RespTestClient other = connectAndPing();
        RespTestClient bad = connect();
        bad.send(input);
        bad.expect(expectedReply);
        bad.expectClosedByServer();

        awaitConnections(1);
        assertServes(other, "other-key");
        await("errors{kind=protocol} counted once", () -> errors("protocol") == 1);
        await("connections.closed{reason=protocol_error} counted once", () -> closed("protocol_error") == 1);
        assertThat(closedTotal()).isEqualTo(1);
        assertThat(fake.calls()).extracting(FakeKvService.Call::toString).as("only the other connection's requests")
                .containsExactly("COMMAND SET other-key served", "QUERY GET other-key");
        await("the bad connection's session is closed", () -> fake.sessionsClosed() == 1);
        assertThat(fake.sessionsOpened()).isEqualTo(2);
    }

    @Test
    void aOneGigabyteBulkLengthIsRefusedAtItsHeader() throws Exception {
        // Only the header is sent: an answer at all shows the server did not wait for (or make room for) 1 GB.
        assertRefusedAndClosed(bytes("*1\r\n$1000000000\r\n"), protocolError("invalid bulk length"));
    }

    @Test
    void aBulkLengthAboveTheConfiguredLimitIsRefused() throws Exception {
        startServer(b -> b.maxBulkBytes(10));
        assertRefusedAndClosed(bytes("*2\r\n$4\r\nECHO\r\n$11\r\n"), protocolError("invalid bulk length"));
        assertThat(connect().call("ECHO", "0123456789")).as("exactly the limit is fine")
                .isEqualTo("$10\r\n0123456789\r\n");
    }

    @Test
    void aHugeMultibulkCountIsRefusedAtItsHeader() throws Exception {
        assertRefusedAndClosed(bytes("*2000000000\r\n"), protocolError("invalid multibulk length"));
    }

    @Test
    void moreArgumentsThanTheConfiguredLimitAreRefused() throws Exception {
        startServer(b -> b.maxArgs(3));
        assertRefusedAndClosed(bytes("*4\r\n"), protocolError("invalid multibulk length"));
        assertThat(connect().call("SET", "k", "v")).as("exactly the limit is fine").isEqualTo("+OK\r\n");
    }

    @Test
    void aMultibulkCountThatIsNotANumberIsRefused() throws Exception {
        assertRefusedAndClosed(bytes("*abc\r\n"), protocolError("invalid multibulk length"));
    }

    @Test
    void somethingOtherThanABulkStringInsideAnArrayIsRefusedAndNothingAfterItIsAnswered() throws Exception {
        assertRefusedAndClosed(bytes("*1\r\n+foo\r\nPING\r\n*1\r\n$4\r\nPING\r\n"),
                protocolError("expected '$', got '+'"));
    }

    @Test
    void aNegativeBulkLengthIsRefused() throws Exception {
        assertRefusedAndClosed(bytes("*1\r\n$-5\r\n"), protocolError("invalid bulk length"));
    }

    @Test
    void aBulkLengthThatIsNotANumberIsRefused() throws Exception {
        assertRefusedAndClosed(bytes("*2\r\n$3\r\nGET\r\n$x1\r\n"), protocolError("invalid bulk length"));
    }

    /** Stricter than Redis, which skips the two bytes after a bulk string without looking at them. */
    @Test
    void aBulkStringNotFollowedByCrlfIsRefused() throws Exception {
        assertRefusedAndClosed(bytes("*1\r\n$4\r\nPINGxy"), protocolError("expected CRLF after a bulk string"));
    }

    @Test
    void unbalancedQuotesInAnInlineRequestAreRefused() throws Exception {
        assertRefusedAndClosed(bytes("SET \"a b\r\n"), protocolError("unbalanced quotes in request"));
    }

    @Test
    void anInlineLineLongerThan64KibWithoutNewlineIsRefused() throws Exception {
        // One byte more than the longest line that may still be waiting for its newline: the
        // error is found at the last byte, so the server has read everything when it closes.
        byte[] line = new byte[RespDecoder.MAX_INLINE_BYTES + 2];
        Random random = new Random(7);
        for (int i = 0; i < line.length; i++) {
            line[i] = (byte) ('a' + random.nextInt(26));
        }
        line[3] = ' ';
        assertRefusedAndClosed(line, protocolError("too big inline request"));
    }

    @Test
    void binaryGarbageStartingWithAnAsteriskIsRefused() throws Exception {
        byte[] garbage = new byte[1000];
        new Random(20240607L).nextBytes(garbage);
        garbage[0] = '*';
        // Whatever follows, the count is not a number: Redis's message for that.
        assertRefusedAndClosed(garbage, protocolError("invalid multibulk length"));
    }

    @Test
    void binaryGarbageInsideAnArrayIsRefused() throws Exception {
        byte[] head = bytes("*2\r\n$3\r\nGET\r\n");
        byte[] garbage = new byte[1000];
        new Random(99L).nextBytes(garbage);
        garbage[0] = (byte) 0x8f; // not '$'
        ByteArrayOutputStream input = new ByteArrayOutputStream();
        input.writeBytes(head);
        input.writeBytes(garbage);
        assertRefusedAndClosed(input.toByteArray(), protocolError("expected '$', got '\\x8f'"));
    }

    @Test
    void aProtocolErrorIsAnsweredAfterTheRepliesBeforeIt() throws Exception {
        fake.hold(true);
        RespTestClient c = connect();
        c.send("*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*1\r\n+oops\r\n");
        await("the SET reached the store", () -> fake.callCount() == 1);
        await("the error was decided on", () -> errors("protocol") == 1);
        fake.releaseAllNewestFirst();
        c.expect("+OK\r\n" + protocolError("expected '$', got '+'"));
        c.expectClosedByServer();
        await("closed{reason=protocol_error}", () -> closed("protocol_error") == 1);
    }

    // ------------------------------------------------------------------ not protocol errors

    @Test
    void aLoneBulkHeaderIsAnInlineCommandAsInRedis() throws Exception {
        RespTestClient c = connect();
        c.send("$-5\r\n");
        c.expect("-ERR unknown command '$-5', with args beginning with: \r\n");
        assertThat(c.call("PING")).isEqualTo("+PONG\r\n");
        assertThat(errors("protocol")).isZero();
        assertThat(errors("unknown_command")).isEqualTo(1);
    }

    // ------------------------------------------------------------------ clients that vanish

    @Test
    void aClientThatStopsSendingMidRequestAndShutsDownItsOutputIsClosedQuietly() throws Exception {
        RespTestClient other = connectAndPing();
        RespTestClient half = connect();
        half.send("*2\r\n$3\r\nGET\r\n$5\r\nab");
        half.socket().shutdownOutput();
        half.expectClosedByServer();

        awaitConnections(1);
        assertServes(other, "k");
        await("closed{reason=client}", () -> closed("client") == 1);
        assertThat(closedTotal()).isEqualTo(1);
        assertThat(errors("protocol")).isZero();
        await("its session is closed", () -> fake.sessionsClosed() == 1);
        assertThat(fake.calls()).noneMatch(call -> call.words().startsWith("GET ab"));
    }

    @Test
    void aClientThatClosesMidRequestIsClosedQuietly() throws Exception {
        RespTestClient other = connectAndPing();
        RespTestClient half = connect();
        half.send("*2\r\n$3\r\nGET\r\n$5\r\nab");
        half.close();

        awaitConnections(1);
        assertServes(other, "k");
        await("one connection closed", () -> closedTotal() == 1);
        await("its session is closed", () -> fake.sessionsClosed() == 1);
    }

    @Test
    void aClientThatResetsTheConnectionWhileTheStoreHoldsItsAnswers() throws Exception {
        RespTestClient other = connectAndPing();
        fake.hold(true);
        RespTestClient gone = connect();
        ByteArrayOutputStream sets = new ByteArrayOutputStream();
        for (int i = 0; i < 10; i++) {
            sets.writeBytes(RespTestClient.encode("SET", "k" + i, "v" + i));
        }
        gone.send(sets.toByteArray());
        await("the 10 SETs reached the store", () -> fake.callCount() == 10);

        gone.socket().setSoLinger(true, 0); // close with a RST
        gone.close();
        awaitConnections(1);
        await("its session is closed", () -> fake.sessionsClosed() == 1);

        // The answers arrive after the connection is gone: dropped, nothing breaks.
        fake.hold(false);
        assertThat(fake.releaseAllNewestFirst()).isEqualTo(10);
        assertServes(other, "after-reset");
        assertThat(other.call("GET", "k9")).as("the SETs were applied").isEqualTo("$2\r\nv9\r\n");
        await("one connection closed", () -> closedTotal() == 1);
        assertThat(closed("io_error") + closed("client")).isEqualTo(1);
        assertThat(server.connectionCount()).isEqualTo(1);
    }

    @Test
    void manyClientsVanishingMidRequestLeaveNoConnectionOrSessionBehind() throws Exception {
        RespTestClient other = connectAndPing();
        fake.hold(true);
        for (int i = 0; i < 20; i++) {
            RespTestClient c = connect();
            c.sendCommand("SET", "k" + i, "v");
            c.send("*3\r\n$3\r\nSET\r\n$1\r\nx"); // and half of another one
            if (i % 2 == 0) {
                c.socket().setSoLinger(true, 0);
            }
            c.close();
        }
        awaitConnections(1);
        await("20 sessions closed", () -> fake.sessionsClosed() == 20);
        fake.hold(false);
        fake.releaseAllNewestFirst();
        assertServes(other, "still");
        assertThat(closedTotal()).isEqualTo(20);
    }

    // ------------------------------------------------------------------ the server stopping

    /**
     * BUG: {@code RespMetrics.CloseReason.SERVER} is documented ("or by the server stopping") but
     * never set: connections closed by {@link RespServer#close()} are counted as closed by the client.
     */
    @Test
    void closingTheServerClosesEveryConnectionAndCountsThemAsClosedByTheServer() throws Exception {
        RespTestClient idle = connectAndPing();
        fake.hold(true);
        RespTestClient waiting = connect();
        waiting.sendCommand("SET", "k", "v");
        await("the SET reached the store", () -> fake.callCount() == 1);

        server.close();
        idle.expectClosedByServer();
        waiting.expectClosedByServer();
        fake.releaseAllNewestFirst(); // after the server stopped: nothing breaks
        assertThat(server.connectionCount()).isZero();
        assertThat(fake.sessionsClosed()).isEqualTo(2);
        assertThat(closedTotal()).isEqualTo(2);
        assertThat(closed("server")).as("connections.closed{reason=server}").isEqualTo(2);
    }

    @Test
    void theSessionOfEveryConnectionIsClosed() throws Exception {
        for (int i = 0; i < 5; i++) {
            connectAndPing().close();
        }
        awaitConnections(0);
        await("5 sessions closed", () -> fake.sessionsClosed() == 5);
        assertThat(fake.sessionsOpened()).isEqualTo(5);
        assertThat(Arrays.asList(closed("client"), closedTotal())).containsExactly(5.0, 5.0);
    }
}
