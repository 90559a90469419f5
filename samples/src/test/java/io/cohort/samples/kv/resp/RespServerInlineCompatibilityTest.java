package io.cohort.samples.kv.resp;

import org.junit.jupiter.api.Test;

/**
 * Inline requests (a line of words, as typed into telnet) split the way Redis splits them
 * ({@code sdssplitargs} in Redis's sds.c): inside double quotes {@code \n \r \t \b \a \xHH} and any
 * other escaped character; inside single quotes only {@code \'}; a closing quote must be followed
 * by a space or the end of the line; the bytes of the line are taken as they are (binary-safe).
 * Values are read back with array requests, so only the inline splitting is under test.
 */
class RespServerInlineCompatibilityTest extends RespServerTestBase {

    @Test
    void quotesAndSpacesAsRedisSplitsThem() throws Exception {
        RespTestClient c = connect();
        c.send("SET   \"a b\"   'c d'  \r\n");
        c.expect("+OK\r\n");
        c.sendCommand("GET", "a b");
        c.expect("$3\r\nc d\r\n");
        c.send("SET \"\" \"with \\\"escaped\\\" quotes\"\r\n");
        c.expect("+OK\r\n");
        c.sendCommand("GET", "");
        c.expect("$21\r\nwith \"escaped\" quotes\r\n");
    }

    /** BUG: escapes in double quotes are taken literally ("a\x41\n" is stored as "ax41n"). */
    @Test
    void escapesInsideDoubleQuotesAsInRedis() throws Exception {
        RespTestClient c = connect();
        c.send("SET k \"a\\x41\\n\\r\\t\\b\\a\\\\z\"\r\n");
        c.expect("+OK\r\n");
        c.sendCommand("GET", "k");
        c.expect("$9\r\naA\n\r\t\u0008\u0007\\z\r\n");
    }

    /** BUG: {@code \'} inside single quotes is not an escaped quote: the request is refused as unbalanced. */
    @Test
    void anEscapedQuoteInsideSingleQuotesAsInRedis() throws Exception {
        RespTestClient c = connect();
        c.send("SET k 'it\\'s'\r\n");
        c.expect("+OK\r\n");
        c.sendCommand("GET", "k");
        c.expect("$4\r\nit's\r\n");
    }

    /** BUG: {@code "a"b} is accepted as the word {@code ab}; Redis refuses it. */
    @Test
    void aClosingQuoteFollowedByMoreTextIsRefusedAsInRedis() throws Exception {
        RespTestClient other = connectAndPing();
        RespTestClient c = connect();
        c.send("SET k \"a\"b\r\n");
        c.expect("-ERR Protocol error: unbalanced quotes in request\r\n");
        c.expectClosedByServer();
        other.sendCommand("EXISTS", "k");
        other.expect(":0\r\n");
    }

    /** BUG: the line goes through a UTF-8 String, so bytes that are not UTF-8 become U+FFFD. */
    @Test
    void inlineArgumentsAreBinarySafe() throws Exception {
        RespTestClient c = connect();
        c.send("SET k \u00ff\u00fe\u0080\r\n"); // sent as the three bytes FF FE 80
        c.expect("+OK\r\n");
        c.sendCommand("GET", "k");
        c.expect("$3\r\n\u00ff\u00fe\u0080\r\n");
    }
}
