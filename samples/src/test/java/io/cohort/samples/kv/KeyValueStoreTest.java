package io.cohort.samples.kv;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.api.CommandContext;
import io.cohort.api.MemberId;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The key-value store's commands against the replies Redis documents, with logical time. */
class KeyValueStoreTest {

    private final KeyValueStore store = new KeyValueStore();
    private long time = 1_000_000;
    private long index;

    /** The facts the log gives a command: here only the time matters. */
    private static CommandContext at(long time, long index) {
        return new CommandContext() {
            @Override
            public long index() {
                return index;
            }

            @Override
            public long viewId() {
                return 1;
            }

            @Override
            public long logicalTimeMillis() {
                return time;
            }

            @Override
            public MemberId origin() {
                return MemberId.of("a", 1);
            }
        };
    }

    private String cmd(String... args) {
        return new String(store.apply(at(time, ++index), KvCommand.of(args).encode()), StandardCharsets.UTF_8);
    }

    private String query(String... args) {
        return new String(store.query(KvCommand.of(args).encode()), StandardCharsets.UTF_8);
    }

    @Test
    void getAndSetWithTheirOptions() {
        assertThat(query("GET", "k")).isEqualTo("$-1\r\n");
        assertThat(cmd("SET", "k", "v")).isEqualTo("+OK\r\n");
        assertThat(query("GET", "k")).isEqualTo("$1\r\nv\r\n");
        assertThat(cmd("set", "k", "w", "NX")).isEqualTo("$-1\r\n");
        assertThat(cmd("SET", "missing", "w", "XX")).isEqualTo("$-1\r\n");
        assertThat(cmd("SET", "k", "w", "XX", "GET")).isEqualTo("$1\r\nv\r\n");
        assertThat(cmd("SET", "k", "x", "NX", "XX")).isEqualTo("-ERR syntax error\r\n");
        assertThat(cmd("SET", "k", "x", "EX", "0")).isEqualTo("-ERR invalid expire time in 'set' command\r\n");
        assertThat(cmd("SET", "k", "x", "EX", "ten")).isEqualTo("-ERR value is not an integer or out of range\r\n");
        assertThat(cmd("SET", "k", "x", "BOGUS")).isEqualTo("-ERR syntax error\r\n");
        assertThat(cmd("GETSET", "k", "y")).isEqualTo("$1\r\nw\r\n");
        assertThat(cmd("SETNX", "k", "z")).isEqualTo(":0\r\n");
        assertThat(cmd("SETNX", "n", "z")).isEqualTo(":1\r\n");
        assertThat(query("GET", "k")).isEqualTo("$1\r\ny\r\n");
    }

    @Test
    void countersFollowRedisIntegerRules() {
        assertThat(cmd("INCR", "c")).isEqualTo(":1\r\n");
        assertThat(cmd("INCRBY", "c", "41")).isEqualTo(":42\r\n");
        assertThat(cmd("DECR", "c")).isEqualTo(":41\r\n");
        assertThat(cmd("DECRBY", "c", "50")).isEqualTo(":-9\r\n");
        cmd("SET", "s", "abc");
        assertThat(cmd("INCR", "s")).isEqualTo("-ERR value is not an integer or out of range\r\n");
        cmd("SET", "max", Long.toString(Long.MAX_VALUE));
        assertThat(cmd("INCR", "max")).isEqualTo("-ERR increment or decrement would overflow\r\n");
        assertThat(cmd("INCRBY", "c", "1.5")).isEqualTo("-ERR value is not an integer or out of range\r\n");
        cmd("SET", "lead", "007");
        assertThat(cmd("INCR", "lead")).as("leading zeros are not an integer").startsWith("-ERR value is not");
    }

    @Test
    void multiKeyAndStringCommands() {
        assertThat(cmd("MSET", "a", "1", "b", "2")).isEqualTo("+OK\r\n");
        assertThat(cmd("MSET", "a", "1", "b")).isEqualTo("-ERR wrong number of arguments for 'mset' command\r\n");
        assertThat(query("MGET", "a", "nope", "b")).isEqualTo("*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n");
        assertThat(query("EXISTS", "a", "a", "nope")).isEqualTo(":2\r\n");
        assertThat(cmd("APPEND", "a", "xyz")).isEqualTo(":4\r\n");
        assertThat(query("STRLEN", "a")).isEqualTo(":4\r\n");
        assertThat(query("STRLEN", "nope")).isEqualTo(":0\r\n");
        assertThat(query("DBSIZE")).isEqualTo(":2\r\n");
        cmd("MSET", "hello", "1", "hallo", "2", "hxllo", "3", "hllo", "4");
        assertThat(query("KEYS", "h?llo")).isEqualTo("*3\r\n$5\r\nhallo\r\n$5\r\nhello\r\n$5\r\nhxllo\r\n");
        assertThat(query("KEYS", "h[ae]llo")).isEqualTo("*2\r\n$5\r\nhallo\r\n$5\r\nhello\r\n");
        assertThat(query("KEYS", "h[^e]llo")).isEqualTo("*2\r\n$5\r\nhallo\r\n$5\r\nhxllo\r\n");
        assertThat(query("KEYS", "h*llo")).isEqualTo("*4\r\n$5\r\nhallo\r\n$5\r\nhello\r\n$4\r\nhllo\r\n$5\r\nhxllo\r\n");
        assertThat(cmd("DEL", "a", "b", "nope")).isEqualTo(":2\r\n");
        assertThat(cmd("FLUSHDB")).isEqualTo("+OK\r\n");
        assertThat(query("DBSIZE")).isEqualTo(":0\r\n");
    }

    @Test
    void expiryFollowsTheLogsTimeNotAClock() {
        cmd("SET", "k", "v", "EX", "10");
        assertThat(query("TTL", "k")).isEqualTo(":10\r\n");
        assertThat(query("PTTL", "k")).isEqualTo(":10000\r\n");
        time += 9_000;
        cmd("SET", "other", "x");
        assertThat(query("TTL", "k")).isEqualTo(":1\r\n");
        assertThat(cmd("PERSIST", "k")).isEqualTo(":1\r\n");
        assertThat(query("TTL", "k")).isEqualTo(":-1\r\n");
        assertThat(cmd("PEXPIRE", "k", "500")).isEqualTo(":1\r\n");
        time += 500;
        // Due exactly now: gone before the next command runs.
        assertThat(cmd("GET", "k")).isEqualTo("$-1\r\n");
        assertThat(query("TTL", "k")).isEqualTo(":-2\r\n");
        assertThat(query("EXISTS", "k")).isEqualTo(":0\r\n");
        assertThat(cmd("EXPIRE", "missing", "10")).isEqualTo(":0\r\n");
        cmd("SET", "gone", "v");
        assertThat(cmd("EXPIRE", "gone", "-1")).as("a time in the past deletes the key").isEqualTo(":1\r\n");
        assertThat(query("GET", "gone")).isEqualTo("$-1\r\n");
        cmd("SET", "kept", "v", "PX", "100");
        assertThat(cmd("INCR", "kept")).startsWith("-ERR");
        assertThat(cmd("EXPIRE", "kept", "100", "NX")).as("NX: it has a timeout").isEqualTo(":0\r\n");
        assertThat(cmd("EXPIRE", "kept", "100", "GT")).isEqualTo(":1\r\n");
    }

    @Test
    void badInputGetsRedisErrorsAndChangesNothing() {
        assertThat(cmd("GET")).isEqualTo("-ERR wrong number of arguments for 'get' command\r\n");
        assertThat(cmd("FOO", "a", "b")).isEqualTo("-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n");
        assertThat(query("SET", "k", "v")).startsWith("-ERR 'set' changes the data");
        assertThat(new String(store.apply(at(time, ++index), new byte[] {1, 2}), StandardCharsets.UTF_8))
                .startsWith("-ERR malformed command");
        assertThat(query("DBSIZE")).isEqualTo(":0\r\n");
    }

    @Test
    void aSnapshotRestoresKeysValuesExpiriesAndTime() throws Exception {
        cmd("SET", "a", "1");
        cmd("SET", "b", "2", "EX", "5");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        store.writeSnapshot(out);
        KeyValueStore copy = new KeyValueStore();
        copy.restoreSnapshot(new ByteArrayInputStream(out.toByteArray()));
        assertThat(new String(copy.query(KvCommand.of("TTL", "b").encode()), StandardCharsets.UTF_8)).isEqualTo(":5\r\n");
        assertThat(new String(copy.query(KvCommand.of("MGET", "a", "b").encode()), StandardCharsets.UTF_8))
                .isEqualTo("*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        copy.writeSnapshot(again);
        assertThat(again.toByteArray()).as("same state, same bytes").isEqualTo(out.toByteArray());
    }
}
