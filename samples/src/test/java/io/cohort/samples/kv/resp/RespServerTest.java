package io.cohort.samples.kv.resp;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.samples.kv.resp.RespTestClient.Err;
import io.cohort.samples.kv.resp.RespTestClient.Status;
import java.io.ByteArrayOutputStream;
import java.util.List;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;

/**
 * The Redis protocol server in process, in front of a fake store: plain requests, pipelining,
 * split and inline requests, QUIT and the connection commands, byte for byte.
 */
class RespServerTest extends RespServerTestBase {

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object reply) {
        assertThat(reply).isInstanceOf(List.class);
        return (List<Object>) reply;
    }

    @Test
    void pingSetAndGet() throws Exception {
        RespTestClient c = connect();
        assertThat(c.call("PING")).isEqualTo("+PONG\r\n");
        assertThat(c.call("PING", "hello")).isEqualTo("$5\r\nhello\r\n");
        assertThat(c.call("GET", "k")).isEqualTo("$-1\r\n");
        assertThat(c.call("SET", "k", "v1")).isEqualTo("+OK\r\n");
        assertThat(c.call("GET", "k")).isEqualTo("$2\r\nv1\r\n");
        assertThat(c.call("INCR", "n")).isEqualTo(":1\r\n");
        assertThat(c.call("MGET", "k", "nothing", "n")).isEqualTo("*3\r\n$2\r\nv1\r\n$-1\r\n$1\r\n1\r\n");
        assertThat(fake.calls()).extracting(FakeKvService.Call::toString).containsExactly(
                "QUERY GET k", "COMMAND SET k v1", "QUERY GET k", "COMMAND INCR n", "QUERY MGET k nothing n");
    }

    @Test
    void valuesAreBinarySafe() throws Exception {
        RespTestClient c = connect();
        String value = "\u0000\r\n\u00ff$3\r\n*1\r\n";
        assertThat(c.call("SET", "bin\u0000key", value)).isEqualTo("+OK\r\n");
        assertThat(c.call("GET", "bin\u0000key")).isEqualTo("$" + value.length() + "\r\n" + value + "\r\n");
    }

    @Test
    void aHundredPipelinedRequestsInOneWriteAreAnsweredInOrder() throws Exception {
        RespTestClient c = connect();
        ByteArrayOutputStream requests = new ByteArrayOutputStream();
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 50; i++) {
            requests.writeBytes(RespTestClient.encode("SET", "k" + i, "value-" + i));
            requests.writeBytes(RespTestClient.encode("GET", "k" + i));
            String v = "value-" + i;
            expected.append("+OK\r\n").append('$').append(v.length()).append("\r\n").append(v).append("\r\n");
        }
        c.send(requests.toByteArray());
        c.expect(expected.toString());
        assertThat(fake.callCount()).isEqualTo(100);
    }

    @Test
    void aRequestSplitIntoSingleBytesIsServed() throws Exception {
        RespTestClient c = connect();
        for (byte b : RespTestClient.encode("SET", "split", "hello world")) {
            c.send(new byte[] {b});
        }
        c.expect("+OK\r\n");
        for (byte b : "GET split\r\n".getBytes()) {
            c.send(new byte[] {b});
        }
        c.expect("$11\r\nhello world\r\n");
    }

    @Test
    void inlineCommands() throws Exception {
        RespTestClient c = connect();
        c.send("PING\r\n");
        c.expect("+PONG\r\n");
        c.send("SET a b\r\n");
        c.expect("+OK\r\n");
        c.send("GET a\n"); // a bare LF ends a line too
        c.expect("$1\r\nb\r\n");
        c.send("\r\n\r\nSET \"with space\" 'single quoted'\r\nGET \"with space\"\r\n");
        c.expect("+OK\r\n$13\r\nsingle quoted\r\n");
        // Inline and array requests mix on one connection.
        c.send("ECHO inline\r\n*2\r\n$4\r\nECHO\r\n$5\r\narray\r\n");
        c.expect("$6\r\ninline\r\n$5\r\narray\r\n");
    }

    @Test
    void emptyArraysAreIgnoredAsRedisDoes() throws Exception {
        RespTestClient c = connect();
        c.send("*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n");
        c.expect("+PONG\r\n");
    }

    @Test
    void commandNamesAreCaseInsensitive() throws Exception {
        RespTestClient c = connect();
        assertThat(c.call("set", "k", "v")).isEqualTo("+OK\r\n");
        assertThat(c.call("gEt", "k")).isEqualTo("$1\r\nv\r\n");
        assertThat(c.call("ping")).isEqualTo("+PONG\r\n");
    }

    @Test
    void unknownCommandGetsRedisErrorAndTheConnectionStaysOpen() throws Exception {
        RespTestClient c = connect();
        assertThat(c.call("FOO", "a")).isEqualTo("-ERR unknown command 'FOO', with args beginning with: 'a' \r\n");
        assertThat(c.call("foo")).isEqualTo("-ERR unknown command 'foo', with args beginning with: \r\n");
        assertThat(c.call("Bar", "x", "y z")).isEqualTo(
                "-ERR unknown command 'Bar', with args beginning with: 'x' 'y z' \r\n");
        assertThat(c.call("PING")).isEqualTo("+PONG\r\n");
        assertThat(errors("unknown_command")).isEqualTo(3);
        assertThat(fake.calls()).as("an unknown command never reaches the store").isEmpty();
    }

    @Test
    void wrongArityGetsRedisErrorAndTheConnectionStaysOpen() throws Exception {
        RespTestClient c = connect();
        assertThat(c.call("GET")).isEqualTo("-ERR wrong number of arguments for 'get' command\r\n");
        assertThat(c.call("get", "a", "b")).isEqualTo("-ERR wrong number of arguments for 'get' command\r\n");
        assertThat(c.call("SET", "a")).isEqualTo("-ERR wrong number of arguments for 'set' command\r\n");
        assertThat(c.call("ECHO")).isEqualTo("-ERR wrong number of arguments for 'echo' command\r\n");
        assertThat(c.call("PING", "a", "b")).isEqualTo("-ERR wrong number of arguments for 'ping' command\r\n");
        assertThat(c.call("SET", "a", "1")).isEqualTo("+OK\r\n");
        assertThat(errors("wrong_arity")).isEqualTo(5);
        assertThat(fake.calls()).extracting(FakeKvService.Call::toString).containsExactly("COMMAND SET a 1");
    }

    @Test
    void errorRepliesOfTheStoreAreSentAsTheyAre() throws Exception {
        RespTestClient c = connect();
        assertThat(c.call("SET", "a", "x")).isEqualTo("+OK\r\n");
        assertThat(c.call("INCR", "a")).isEqualTo("-ERR value is not an integer or out of range\r\n");
        assertThat(c.call("SET", "a", "1", "BOGUS")).isEqualTo("-ERR syntax error\r\n");
        assertThat(c.call("PING")).isEqualTo("+PONG\r\n");
        assertThat(errors("other")).isEqualTo(2);
    }

    @Test
    void aFailedAnswerBecomesAnErrorReplyAndTheConnectionStaysOpen() throws Exception {
        RespTestClient c = connect();
        fake.failNext("boom");
        assertThat(c.call("SET", "a", "1")).isEqualTo("-ERR internal error: boom\r\n");
        assertThat(c.call("GET", "a")).isEqualTo("$1\r\n1\r\n");
    }

    @Test
    void expiryFollowsTheLogicalTimeOfTheCommands() throws Exception {
        RespTestClient c = connect();
        assertThat(c.call("SET", "k", "v", "PX", "1000")).isEqualTo("+OK\r\n");
        assertThat(c.call("PTTL", "k")).isEqualTo(":1000\r\n");
        fake.logicalTimeMillis(fake.logicalTimeMillis() + 1000);
        assertThat(c.call("GET", "k")).as("no command has moved logical time yet").isEqualTo("$1\r\nv\r\n");
        assertThat(c.call("SET", "other", "x")).isEqualTo("+OK\r\n");
        assertThat(c.call("GET", "k")).isEqualTo("$-1\r\n");
    }

    // ------------------------------------------------------------------ QUIT

    @Test
    void quitAnswersOkThenClosesAndNothingAfterItIsAnswered() throws Exception {
        RespTestClient c = connect();
        c.send("*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nQUIT\r\n*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$1\r\ny\r\n");
        c.expect("+PONG\r\n+OK\r\n");
        c.expectClosedByServer();
        awaitConnections(0);
        await("closed{reason=quit} counted", () -> closed("quit") == 1);
        assertThat(closedTotal()).isEqualTo(1);
        assertThat(fake.calls()).as("the SET after QUIT never reaches the store").isEmpty();
        await("the session is closed", () -> fake.sessionsClosed() == 1);
    }

    @Test
    void quitWaitsForTheRepliesBeforeIt() throws Exception {
        RespTestClient c = connect();
        fake.hold(true);
        c.send("SET a 1\r\nQUIT\r\nGET a\r\n");
        await("SET reached the store", () -> fake.callCount() == 1);
        await("QUIT was read", () -> requests("connection") == 1);
        fake.releaseAllNewestFirst();
        c.expect("+OK\r\n+OK\r\n");
        c.expectClosedByServer();
        assertThat(fake.calls()).extracting(FakeKvService.Call::toString).containsExactly("COMMAND SET a 1");
    }

    // ------------------------------------------------------------------ connection commands

    @Test
    void clientSetnameGetnameAndId() throws Exception {
        RespTestClient a = connect();
        RespTestClient b = connect();
        assertThat(a.call("CLIENT", "GETNAME")).isEqualTo("$-1\r\n");
        assertThat(a.call("CLIENT", "SETNAME", "alice")).isEqualTo("+OK\r\n");
        assertThat(a.call("client", "getname")).isEqualTo("$5\r\nalice\r\n");
        assertThat(b.call("CLIENT", "GETNAME")).as("names are per connection").isEqualTo("$-1\r\n");
        assertThat(a.call("CLIENT", "SETNAME", "bad name")).isEqualTo(
                "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
        assertThat(a.call("CLIENT", "GETNAME")).isEqualTo("$5\r\nalice\r\n");
        assertThat(a.call("CLIENT", "SETNAME", "")).isEqualTo("+OK\r\n");
        assertThat(a.call("CLIENT", "GETNAME")).isEqualTo("$-1\r\n");

        Object idA = a.callParsed("CLIENT", "ID");
        Object idB = b.callParsed("CLIENT", "ID");
        assertThat(idA).isInstanceOf(Long.class);
        assertThat(idB).isInstanceOf(Long.class).isNotEqualTo(idA);
        assertThat(a.callParsed("CLIENT", "ID")).as("stable on one connection").isEqualTo(idA);

        assertThat(a.call("CLIENT", "NOPE")).isEqualTo("-ERR unknown subcommand 'NOPE'. Try CLIENT HELP.\r\n");
        assertThat(a.call("CLIENT")).isEqualTo("-ERR wrong number of arguments for 'client' command\r\n");
        assertThat(a.call("CLIENT", "SETINFO", "lib-name", "jedis")).isEqualTo("+OK\r\n");
    }

    @Test
    void selectAcceptsOnlyDatabaseZero() throws Exception {
        RespTestClient c = connect();
        assertThat(c.call("SELECT", "0")).isEqualTo("+OK\r\n");
        assertThat(c.call("SELECT", "1")).isEqualTo("-ERR DB index is out of range\r\n");
        assertThat(c.call("SELECT", "x")).isEqualTo("-ERR value is not an integer or out of range\r\n");
        assertThat(c.call("PING")).isEqualTo("+PONG\r\n");
    }

    @Test
    void helloSpeaksOnlyResp2() throws Exception {
        RespTestClient c = connect();
        Object id = c.callParsed("CLIENT", "ID");
        for (String[] hello : List.of(new String[] {"HELLO"}, new String[] {"HELLO", "2"})) {
            Object reply = c.callParsed(hello);
            assertThat(reply).asInstanceOf(InstanceOfAssertFactories.LIST).hasSize(14);
            List<Object> fields = list(reply);
            assertThat(fields.get(0)).isEqualTo("server");
            assertThat(fields.get(1)).isEqualTo("redis");
            assertThat(fields.subList(2, 4)).containsExactly("version", RespServer.REDIS_VERSION);
            assertThat(fields.subList(4, 6)).containsExactly("proto", 2L);
            assertThat(fields.subList(6, 8)).containsExactly("id", id);
            assertThat(fields.get(8)).isEqualTo("mode");
            assertThat(fields.get(10)).isEqualTo("role");
            assertThat(fields.subList(12, 14)).containsExactly("modules", List.of());
        }
        assertThat(c.callParsed("HELLO", "3")).isInstanceOfSatisfying(Err.class,
                e -> assertThat(e.text()).startsWith("NOPROTO "));
        assertThat(c.call("HELLO", "two")).isEqualTo(
                "-ERR Protocol version is not an integer or out of range\r\n");
        assertThat(c.callParsed("HELLO", "2", "SETNAME", "viahello")).asInstanceOf(InstanceOfAssertFactories.LIST)
                .hasSize(14);
        assertThat(c.call("CLIENT", "GETNAME")).isEqualTo("$8\r\nviahello\r\n");
        assertThat(c.call("PING")).as("the connection stays open").isEqualTo("+PONG\r\n");
    }

    @Test
    void commandCountInfoAndList() throws Exception {
        RespTestClient c = connect();
        Object all = c.callParsed("COMMAND");
        assertThat(all).asInstanceOf(InstanceOfAssertFactories.LIST).isNotEmpty();
        assertThat(c.callParsed("COMMAND", "COUNT")).isEqualTo((long) list(all).size());
        assertThat(c.call("COMMAND", "INFO", "get")).isEqualTo(
                "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n"
                        + "*0\r\n*0\r\n*0\r\n*0\r\n");
        assertThat(c.callParsed("COMMAND", "INFO")).as("no names: every command, as in Redis 7").isEqualTo(all);
        assertThat(c.call("COMMAND", "INFO", "nosuch")).isEqualTo("*1\r\n*-1\r\n");
        assertThat(all).asInstanceOf(InstanceOfAssertFactories.LIST).anySatisfy(entry -> assertThat(
                list(entry).subList(0, 3)).containsExactly("set", -3L,
                        List.of(new Status("write"), new Status("denyoom"))));
        assertThat(c.call("COMMAND", "DOCS")).isEqualTo("*0\r\n");
        assertThat(c.call("COMMAND", "bogus")).isEqualTo("-ERR unknown subcommand 'bogus'. Try COMMAND HELP.\r\n");
    }

    @Test
    void configGetAnswersWhatRedisBenchmarkAsks() throws Exception {
        RespTestClient c = connect();
        assertThat(c.call("CONFIG", "GET", "save")).isEqualTo("*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
        assertThat(c.call("CONFIG", "GET", "appendonly")).isEqualTo("*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n");
        assertThat(c.call("CONFIG", "GET", "maxmemory")).isEqualTo("*0\r\n");
        assertThat(c.call("CONFIG", "SET", "save", "")).isEqualTo(
                "-ERR unknown subcommand 'SET'. Try CONFIG HELP.\r\n");
    }

    @Test
    void echo() throws Exception {
        RespTestClient c = connect();
        assertThat(c.call("ECHO", "hello")).isEqualTo("$5\r\nhello\r\n");
        assertThat(c.call("ECHO", "")).isEqualTo("$0\r\n\r\n");
    }

    @Test
    void infoHasTheClientsSection() throws Exception {
        RespTestClient c = connect();
        connectAndPing();
        Object info = c.callParsed("INFO");
        assertThat(info).isInstanceOf(String.class);
        assertThat((String) info).contains("# Server\r\nredis_version:" + RespServer.REDIS_VERSION + "\r\n")
                .contains("# Clients\r\nconnected_clients:2\r\n")
                .contains("# Replication\r\nrole:master\r\n");
        assertThat(c.callParsed("INFO", "clients")).isEqualTo("# Clients\r\nconnected_clients:2\r\n");
        assertThat(c.callParsed("INFO", "nosuchsection")).isEqualTo("");
    }
}
