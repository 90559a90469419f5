package io.cohort.integration.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.args.ExpiryOption;
import redis.clients.jedis.args.FlushMode;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.resps.CommandInfo;
import redis.clients.jedis.util.SafeEncoder;

/**
 * Every command the key-value store supports, through Jedis against a three-replica cluster, each
 * answer compared with what Redis documents. Writes at one replica are read at another throughout:
 * any replica serves reads and writes, and reads are linearizable.
 *
 * <p>Each test uses keys under its own prefix (its method name), so tests do not see each other's
 * keys; only {@link #dbsizeAndFlushdb()} looks at the whole keyspace, and it empties it first.
 */
@ExtendWith(KvCluster.LogsOnFailure.class)
class KvCommandsTest {

    private static final long LONG_MAX = Long.MAX_VALUE;
    private static final String NOT_AN_INTEGER = "ERR value is not an integer or out of range";
    private static final Duration EXPIRY_WAIT = Duration.ofSeconds(5);

    private static KvCluster cluster;
    /** One client per replica. */
    private static Jedis a;
    private static Jedis b;
    private static Jedis c;

    private String prefix;

    @BeforeAll
    static void startCluster() throws IOException {
        cluster = KvCluster.start(KvCommandsTest.class.getSimpleName(), 3);
        a = cluster.replica(0).jedis();
        b = cluster.replica(1).jedis();
        c = cluster.replica(2).jedis();
    }

    @AfterAll
    static void stopCluster() {
        for (Jedis j : new Jedis[] {a, b, c}) {
            if (j != null) {
                j.close();
            }
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void keyPrefix(TestInfo info) {
        prefix = info.getTestMethod().orElseThrow().getName() + ":";
    }

    private String k(String name) {
        return prefix + name;
    }

    // ------------------------------------------------------------------------------------ strings

    @Test
    void setAndGetAcrossReplicas() {
        assertThat(a.set(k("greeting"), "hello")).isEqualTo("OK");
        assertThat(b.get(k("greeting"))).isEqualTo("hello");
        assertThat(c.get(k("greeting"))).isEqualTo("hello");
        assertThat(a.get(k("missing"))).isNull();

        assertThat(c.set(k("greeting"), "bonjour")).isEqualTo("OK");
        assertThat(a.get(k("greeting"))).isEqualTo("bonjour");
        assertThat(b.get(k("greeting"))).isEqualTo("bonjour");

        // An empty string is a value, not a missing key.
        assertThat(b.set(k("empty"), "")).isEqualTo("OK");
        assertThat(c.get(k("empty"))).isEmpty();
        assertThat(a.strlen(k("empty"))).isZero();
        assertThat(a.exists(k("empty"))).isTrue();
    }

    @Test
    void setNxAndXx() {
        assertThat(a.set(k("key"), "first", SetParams.setParams().nx())).isEqualTo("OK");
        // NX on an existing key: not set, null reply.
        assertThat(b.set(k("key"), "second", SetParams.setParams().nx())).isNull();
        assertThat(c.get(k("key"))).isEqualTo("first");

        // XX on a missing key: not set, null reply.
        assertThat(a.set(k("absent"), "x", SetParams.setParams().xx())).isNull();
        assertThat(b.exists(k("absent"))).isFalse();
        assertThat(c.set(k("key"), "third", SetParams.setParams().xx())).isEqualTo("OK");
        assertThat(a.get(k("key"))).isEqualTo("third");

        assertThat(errorOf(a, "SET", k("key"), "v", "NX", "XX")).isEqualTo("ERR syntax error");
        assertThat(errorOf(a, "SET", k("key"), "v", "BOGUS")).isEqualTo("ERR syntax error");
        assertThat(b.get(k("key"))).isEqualTo("third");
    }

    @Test
    void setWithGetReturnsTheOldValue() {
        assertThat(a.setGet(k("key"), "one")).isNull();
        assertThat(b.get(k("key"))).isEqualTo("one");
        assertThat(b.setGet(k("key"), "two")).isEqualTo("one");
        assertThat(c.get(k("key"))).isEqualTo("two");

        // NX GET (Redis 7): the old value, and nothing set.
        assertThat(c.setGet(k("key"), "three", SetParams.setParams().nx())).isEqualTo("two");
        assertThat(a.get(k("key"))).isEqualTo("two");
        // XX GET on a missing key: null, and nothing set.
        assertThat(a.setGet(k("absent"), "x", SetParams.setParams().xx())).isNull();
        assertThat(b.exists(k("absent"))).isFalse();
    }

    @Test
    void setExpiryOptions() {
        assertThat(a.set(k("ex"), "v", SetParams.setParams().ex(100))).isEqualTo("OK");
        assertThat(b.ttl(k("ex"))).isBetween(90L, 100L);
        assertThat(c.pttl(k("ex"))).isBetween(90_000L, 100_000L);

        assertThat(a.set(k("px"), "v", SetParams.setParams().px(100_000))).isEqualTo("OK");
        assertThat(b.pttl(k("px"))).isBetween(90_000L, 100_000L);

        // Absolute times are Unix times: the log's logical time follows the wall clock.
        long nowMillis = System.currentTimeMillis();
        assertThat(a.set(k("exat"), "v", SetParams.setParams().exAt(nowMillis / 1000 + 100))).isEqualTo("OK");
        assertThat(c.ttl(k("exat"))).isBetween(90L, 101L);
        assertThat(a.set(k("pxat"), "v", SetParams.setParams().pxAt(nowMillis + 100_000))).isEqualTo("OK");
        assertThat(b.pttl(k("pxat"))).isBetween(90_000L, 101_000L);

        // An absolute time in the past: accepted, and the key is gone at once.
        assertThat(a.set(k("past"), "v", SetParams.setParams().pxAt(1))).isEqualTo("OK");
        assertThat(b.get(k("past"))).isNull();
        assertThat(c.exists(k("past"))).isFalse();

        // KEEPTTL keeps it; a plain SET drops it.
        assertThat(b.set(k("ex"), "v2", SetParams.setParams().keepTtl())).isEqualTo("OK");
        assertThat(c.get(k("ex"))).isEqualTo("v2");
        assertThat(a.ttl(k("ex"))).isBetween(90L, 100L);
        assertThat(c.set(k("ex"), "v3")).isEqualTo("OK");
        assertThat(a.ttl(k("ex"))).isEqualTo(-1L);

        assertThat(errorOf(a, "SET", k("bad"), "v", "EX", "0")).isEqualTo("ERR invalid expire time in 'set' command");
        assertThat(errorOf(a, "SET", k("bad"), "v", "PX", "-5")).isEqualTo("ERR invalid expire time in 'set' command");
        assertThat(errorOf(a, "SET", k("bad"), "v", "EX", "ten")).isEqualTo(NOT_AN_INTEGER);
        assertThat(errorOf(a, "SET", k("bad"), "v", "EX", "10", "PX", "100")).isEqualTo("ERR syntax error");
        assertThat(errorOf(a, "SET", k("bad"), "v", "EX", "10", "KEEPTTL")).isEqualTo("ERR syntax error");
        assertThat(errorOf(a, "SET", k("bad"), "v", "EX")).isEqualTo("ERR syntax error");
        assertThat(b.exists(k("bad"))).isFalse();
    }

    @Test
    void keysExpire() {
        assertThat(a.set(k("short"), "v", SetParams.setParams().px(300))).isEqualTo("OK");
        assertThat(b.set(k("long"), "v")).isEqualTo("OK");
        assertThat(b.pexpire(k("long"), 400)).isEqualTo(1L);
        assertThat(c.set(k("ex"), "v", SetParams.setParams().ex(1))).isEqualTo("OK");

        // No client writes meanwhile: the replicas' ticks move the log's time on.
        await("the keys to expire").atMost(EXPIRY_WAIT).pollInterval(Duration.ofMillis(25))
                .until(() -> c.exists(k("short"), k("long"), k("ex")) == 0);
        for (Jedis j : List.of(a, b, c)) {
            assertThat(j.get(k("short"))).isNull();
            assertThat(j.ttl(k("long"))).isEqualTo(-2L);
            assertThat(j.pttl(k("ex"))).isEqualTo(-2L);
            assertThat(j.keys(prefix + "*")).isEmpty();
        }
        // An expired key is missing for writes too.
        assertThat(a.set(k("short"), "again", SetParams.setParams().nx())).isEqualTo("OK");
        assertThat(b.incr(k("long"))).isEqualTo(1L);
    }

    @Test
    void expireTtlAndPersistReturnCodes() {
        assertThat(a.ttl(k("missing"))).isEqualTo(-2L);
        assertThat(b.pttl(k("missing"))).isEqualTo(-2L);
        assertThat(c.expire(k("missing"), 100)).isZero();
        assertThat(a.pexpire(k("missing"), 100_000)).isZero();
        assertThat(b.persist(k("missing"))).isZero();
        assertThat(c.exists(k("missing"))).isFalse();

        assertThat(a.set(k("key"), "v")).isEqualTo("OK");
        assertThat(b.ttl(k("key"))).isEqualTo(-1L);
        assertThat(c.pttl(k("key"))).isEqualTo(-1L);
        assertThat(a.persist(k("key"))).isZero();

        // No TTL yet: XX and GT fail, NX succeeds.
        assertThat(b.expire(k("key"), 100, ExpiryOption.XX)).isZero();
        assertThat(c.expire(k("key"), 100, ExpiryOption.GT)).isZero();
        assertThat(a.ttl(k("key"))).isEqualTo(-1L);
        assertThat(b.expire(k("key"), 100, ExpiryOption.NX)).isEqualTo(1L);
        assertThat(c.ttl(k("key"))).isBetween(90L, 100L);

        assertThat(a.expire(k("key"), 200, ExpiryOption.NX)).isZero();
        assertThat(b.expire(k("key"), 50, ExpiryOption.GT)).isZero();
        assertThat(c.ttl(k("key"))).isBetween(90L, 100L);
        assertThat(a.expire(k("key"), 200, ExpiryOption.GT)).isEqualTo(1L);
        assertThat(b.ttl(k("key"))).isBetween(190L, 200L);
        assertThat(c.expire(k("key"), 300, ExpiryOption.LT)).isZero();
        assertThat(a.expire(k("key"), 150, ExpiryOption.LT)).isEqualTo(1L);
        assertThat(b.ttl(k("key"))).isBetween(140L, 150L);
        assertThat(c.expire(k("key"), 120, ExpiryOption.XX)).isEqualTo(1L);
        assertThat(a.ttl(k("key"))).isBetween(110L, 120L);

        assertThat(b.persist(k("key"))).isEqualTo(1L);
        assertThat(c.ttl(k("key"))).isEqualTo(-1L);
        assertThat(a.persist(k("key"))).isZero();
        // No TTL counts as infinite: LT succeeds.
        assertThat(b.expire(k("key"), 100, ExpiryOption.LT)).isEqualTo(1L);
        assertThat(c.ttl(k("key"))).isBetween(90L, 100L);

        assertThat(a.pexpire(k("key"), 50_000)).isEqualTo(1L);
        assertThat(b.pttl(k("key"))).isBetween(40_000L, 50_000L);
        assertThat(c.pexpire(k("key"), 60_000, ExpiryOption.NX)).isZero();
        assertThat(a.pexpire(k("key"), 60_000, ExpiryOption.GT)).isEqualTo(1L);
        assertThat(b.pttl(k("key"))).isBetween(50_000L, 60_000L);
        assertThat(c.pexpire(k("key"), 70_000, ExpiryOption.LT)).isZero();
        assertThat(a.pexpire(k("key"), 55_000, ExpiryOption.XX)).isEqualTo(1L);
        assertThat(b.pttl(k("key"))).isBetween(45_000L, 55_000L);
        // TTL rounds to the nearest second, as Redis does.
        assertThat(c.ttl(k("key"))).isBetween(45L, 55L);
        assertThat(b.get(k("key"))).isEqualTo("v");

        // A time in the past deletes the key, and says it was set.
        assertThat(c.expire(k("key"), 0)).isEqualTo(1L);
        assertThat(a.exists(k("key"))).isFalse();
        assertThat(b.ttl(k("key"))).isEqualTo(-2L);
        assertThat(c.set(k("key2"), "v")).isEqualTo("OK");
        assertThat(a.pexpire(k("key2"), -1)).isEqualTo(1L);
        assertThat(b.get(k("key2"))).isNull();

        assertThat(c.set(k("key3"), "v")).isEqualTo("OK");
        assertThat(errorOf(a, "EXPIRE", k("key3"), "soon")).isEqualTo(NOT_AN_INTEGER);
        assertThat(errorOf(a, "EXPIRE", k("key3"), "10", "FOO")).isEqualTo("ERR Unsupported option FOO");
        assertThat(errorOf(a, "EXPIRE", k("key3"), String.valueOf(LONG_MAX)))
                .isEqualTo("ERR invalid expire time in 'expire' command");
        assertThat(errorOf(a, "PEXPIRE", k("key3"), String.valueOf(LONG_MAX)))
                .isEqualTo("ERR invalid expire time in 'pexpire' command");
        assertThat(b.ttl(k("key3"))).isEqualTo(-1L);
    }

    /** Redis 7 accepts several of NX, XX, GT, LT together, and names the incompatible pairs. */
    @Test
    void expireWithSeveralOptions() {
        assertThat(a.set(k("key"), "v", SetParams.setParams().ex(50))).isEqualTo("OK");
        SoftAssertions.assertSoftly(soft -> {
            // XX and GT together: has a TTL, and the new one is greater.
            soft.assertThat(replyOf(b, "EXPIRE", k("key"), "100", "XX", "GT")).as("EXPIRE key 100 XX GT").isEqualTo(1L);
            soft.assertThat(c.ttl(k("key"))).isBetween(90L, 100L);
            soft.assertThat(replyOf(a, "EXPIRE", k("key"), "100", "NX", "XX")).as("EXPIRE key 100 NX XX")
                    .isEqualTo("ERR NX and XX, GT or LT options at the same time are not compatible");
            soft.assertThat(replyOf(a, "EXPIRE", k("key"), "100", "GT", "LT")).as("EXPIRE key 100 GT LT")
                    .isEqualTo("ERR GT and LT options at the same time are not compatible");
        });
    }

    @Test
    @SuppressWarnings("deprecation") // GETSET: deprecated in Redis 6.2 (for SET ... GET), still supported
    void getsetReplacesAndDropsTheTtl() {
        assertThat(a.getSet(k("key"), "one")).isNull();
        assertThat(b.get(k("key"))).isEqualTo("one");
        assertThat(b.getSet(k("key"), "two")).isEqualTo("one");
        assertThat(c.get(k("key"))).isEqualTo("two");

        assertThat(c.set(k("ttl"), "old", SetParams.setParams().ex(100))).isEqualTo("OK");
        assertThat(a.getSet(k("ttl"), "new")).isEqualTo("old");
        assertThat(b.ttl(k("ttl"))).isEqualTo(-1L);
        assertThat(c.get(k("ttl"))).isEqualTo("new");
    }

    @Test
    void setnx() {
        assertThat(a.setnx(k("key"), "first")).isEqualTo(1L);
        assertThat(b.setnx(k("key"), "second")).isZero();
        assertThat(c.get(k("key"))).isEqualTo("first");
    }

    @Test
    void incrementsAndDecrements() {
        assertThat(a.incr(k("n"))).isEqualTo(1L);
        assertThat(b.incr(k("n"))).isEqualTo(2L);
        assertThat(c.incrBy(k("n"), 10)).isEqualTo(12L);
        assertThat(a.decr(k("n"))).isEqualTo(11L);
        assertThat(b.decrBy(k("n"), 20)).isEqualTo(-9L);
        assertThat(c.incrBy(k("n"), -1)).isEqualTo(-10L);
        assertThat(a.get(k("n"))).isEqualTo("-10");
        assertThat(b.decr(k("fresh"))).isEqualTo(-1L);
        assertThat(c.decrBy(k("fresh2"), 5)).isEqualTo(-5L);

        // The TTL stays.
        assertThat(a.set(k("ttl"), "5", SetParams.setParams().ex(100))).isEqualTo("OK");
        assertThat(b.incr(k("ttl"))).isEqualTo(6L);
        assertThat(c.ttl(k("ttl"))).isBetween(90L, 100L);
    }

    @Test
    void incrementsRejectNonIntegers() {
        for (String notInteger : List.of("abc", "1.5", " 1", "1 ", "+1", "01", "", "99999999999999999999")) {
            String key = k("v" + notInteger.hashCode());
            assertThat(a.set(key, notInteger)).isEqualTo("OK");
            assertThatThrownBy(() -> b.incr(key)).as("INCR of '%s'", notInteger)
                    .isInstanceOf(JedisDataException.class).hasMessage(NOT_AN_INTEGER);
            assertThatThrownBy(() -> c.decrBy(key, 2)).isInstanceOf(JedisDataException.class).hasMessage(NOT_AN_INTEGER);
            assertThat(a.get(key)).isEqualTo(notInteger);
        }
        assertThat(errorOf(a, "INCRBY", k("n"), "ten")).isEqualTo(NOT_AN_INTEGER);
        assertThat(errorOf(b, "INCRBY", k("n"), "9223372036854775808")).isEqualTo(NOT_AN_INTEGER);
        assertThat(errorOf(c, "DECRBY", k("n"), "1.0")).isEqualTo(NOT_AN_INTEGER);
        assertThat(a.exists(k("n"))).isFalse();
    }

    @Test
    void incrementsRefuseToOverflow() {
        assertThat(a.set(k("max"), String.valueOf(LONG_MAX))).isEqualTo("OK");
        assertThatThrownBy(() -> b.incr(k("max"))).isInstanceOf(JedisDataException.class)
                .hasMessage("ERR increment or decrement would overflow");
        assertThatThrownBy(() -> c.incrBy(k("max"), 1)).isInstanceOf(JedisDataException.class)
                .hasMessage("ERR increment or decrement would overflow");
        assertThat(a.decrBy(k("max"), -0)).isEqualTo(LONG_MAX);
        assertThat(b.get(k("max"))).isEqualTo(String.valueOf(LONG_MAX));

        assertThat(c.set(k("min"), String.valueOf(Long.MIN_VALUE))).isEqualTo("OK");
        assertThatThrownBy(() -> a.decr(k("min"))).isInstanceOf(JedisDataException.class)
                .hasMessage("ERR increment or decrement would overflow");
        assertThatThrownBy(() -> b.incrBy(k("min"), -1)).isInstanceOf(JedisDataException.class)
                .hasMessage("ERR increment or decrement would overflow");
        assertThat(c.get(k("min"))).isEqualTo(String.valueOf(Long.MIN_VALUE));
        assertThat(a.incrBy(k("min"), LONG_MAX)).isEqualTo(-1L);
    }

    /** Redis 7.0: DECRBY by the smallest long cannot be negated, and says so. */
    @Test
    void decrbyOfTheSmallestLong() {
        assertThat(a.set(k("n"), "0")).isEqualTo("OK");
        assertThat(errorOf(b, "DECRBY", k("n"), String.valueOf(Long.MIN_VALUE)))
                .isEqualTo("ERR decrement would overflow");
        assertThat(c.get(k("n"))).isEqualTo("0");
    }

    @Test
    void appendAndStrlen() {
        assertThat(a.append(k("s"), "Hello")).isEqualTo(5L);
        assertThat(b.append(k("s"), " World")).isEqualTo(11L);
        assertThat(c.get(k("s"))).isEqualTo("Hello World");
        assertThat(a.strlen(k("s"))).isEqualTo(11L);
        assertThat(b.strlen(k("missing"))).isZero();

        assertThat(c.set(k("ttl"), "x", SetParams.setParams().ex(100))).isEqualTo("OK");
        assertThat(a.append(k("ttl"), "yz")).isEqualTo(3L);
        assertThat(b.ttl(k("ttl"))).isBetween(90L, 100L);
        // Lengths are in bytes.
        assertThat(c.append(k("utf8"), "h\u00e9")).isEqualTo(3L);
        assertThat(a.strlen(k("utf8"))).isEqualTo(3L);
    }

    @Test
    void msetAndMget() {
        assertThat(a.mset(k("1"), "one", k("2"), "two", k("3"), "three")).isEqualTo("OK");
        assertThat(b.mget(k("1"), k("missing"), k("2"), k("3"), k("1")))
                .containsExactly("one", null, "two", "three", "one");
        // The last of a repeated key wins.
        assertThat(c.mset(k("4"), "x", k("4"), "y")).isEqualTo("OK");
        assertThat(a.get(k("4"))).isEqualTo("y");
        // MSET is a SET: it drops a TTL.
        assertThat(b.set(k("ttl"), "v", SetParams.setParams().ex(100))).isEqualTo("OK");
        assertThat(c.mset(k("ttl"), "w")).isEqualTo("OK");
        assertThat(a.ttl(k("ttl"))).isEqualTo(-1L);

        assertThat(errorOf(a, "MSET", k("odd"), "1", k("odd2")))
                .isEqualTo("ERR wrong number of arguments for 'mset' command");
        assertThat(b.exists(k("odd"))).isFalse();
    }

    @Test
    void existsAndDel() {
        assertThat(a.mset(k("x"), "1", k("y"), "2")).isEqualTo("OK");
        // EXISTS counts a key as often as it is named.
        assertThat(b.exists(k("x"), k("x"), k("y"), k("missing"))).isEqualTo(3L);
        assertThat(c.exists(k("x"))).isTrue();
        // DEL counts the keys it removed, each once.
        assertThat(c.del(k("x"), k("missing"), k("x"))).isEqualTo(1L);
        assertThat(a.exists(k("x"), k("y"))).isEqualTo(1L);
        assertThat(a.del(k("y"))).isEqualTo(1L);
        assertThat(b.del(k("y"))).isZero();
        assertThat(c.exists(k("x"), k("y"))).isZero();
    }

    @Test
    void keysGlobPatterns() {
        assertThat(a.mset(k("hello"), "1", k("hallo"), "1", k("hxllo"), "1", k("heeeello"), "1", k("hllo"), "1",
                k("world"), "1")).isEqualTo("OK");
        assertThat(b.keys(k("h?llo"))).containsExactlyInAnyOrder(k("hello"), k("hallo"), k("hxllo"));
        assertThat(c.keys(k("h*llo"))).containsExactlyInAnyOrder(k("hello"), k("hallo"), k("hxllo"), k("heeeello"),
                k("hllo"));
        assertThat(a.keys(k("h[ae]llo"))).containsExactlyInAnyOrder(k("hello"), k("hallo"));
        assertThat(b.keys(k("h[^e]llo"))).containsExactlyInAnyOrder(k("hallo"), k("hxllo"));
        assertThat(c.keys(k("h[a-b]llo"))).containsExactlyInAnyOrder(k("hallo"));
        assertThat(a.keys(k("*"))).hasSize(6);
        assertThat(b.keys(k("w\\orld"))).containsExactly(k("world"));
        assertThat(c.keys(k("nothing*"))).isEmpty();
    }

    @Test
    void dbsizeAndFlushdb() {
        assertThat(a.flushDB()).isEqualTo("OK");
        assertThat(b.dbSize()).isZero();
        assertThat(c.keys("*")).isEmpty();

        assertThat(c.mset(k("1"), "a", k("2"), "b", k("3"), "c")).isEqualTo("OK");
        assertThat(a.dbSize()).isEqualTo(3L);
        assertThat(KvCluster.parseInfo(b.info("keyspace"))).containsEntry("db0", "keys=3,expires=0,avg_ttl=0");
        assertThat(b.flushDB(FlushMode.ASYNC)).isEqualTo("OK");
        assertThat(c.dbSize()).isZero();
        assertThat(a.mget(k("1"), k("2"))).containsExactly(null, null);

        assertThat(a.set(k("4"), "d")).isEqualTo("OK");
        assertThat(b.dbSize()).isEqualTo(1L);
        assertThat(c.flushDB(FlushMode.SYNC)).isEqualTo("OK");
        assertThat(a.dbSize()).isZero();
        assertThat(errorOf(b, "FLUSHDB", "LATER")).isEqualTo("ERR syntax error");
    }

    @Test
    void valuesAndKeysAreBinarySafe() {
        byte[] key = concat(bytes(prefix), new byte[] {0, '\r', '\n', (byte) 0xff, ' ', '*'});
        // Every byte value, then bytes that look like RESP framing.
        byte[] everyByte = new byte[256];
        for (int i = 0; i < 256; i++) {
            everyByte[i] = (byte) i;
        }
        byte[] value = concat(everyByte, bytes("\r\n$-1\r\n*1\r\n:0\r\n+OK\r\n"));

        assertThat(a.set(key, value)).isEqualTo("OK");
        assertThat(b.get(key)).isEqualTo(value);
        assertThat(c.strlen(key)).isEqualTo(value.length);
        assertThat(a.exists(key)).isTrue();
        byte[] tail = {'\r', '\n', 0, 0};
        assertThat(b.append(key, tail)).isEqualTo(value.length + tail.length);
        assertThat(c.get(key)).isEqualTo(concat(value, tail));
        assertThat(a.mget(key, bytes(k("missing")))).containsExactly(concat(value, tail), null);
        Set<byte[]> keys = b.keys(bytes(prefix + "*"));
        assertThat(keys).hasSize(1);
        assertThat(keys.iterator().next()).isEqualTo(key);

        byte[] big = new byte[1 << 20];
        new Random(42).nextBytes(big);
        assertThat(c.set(bytes(k("big")), big)).isEqualTo("OK");
        assertThat(a.get(bytes(k("big")))).isEqualTo(big);
        assertThat(b.strlen(bytes(k("big")))).isEqualTo(big.length);
        assertThat(a.del(key)).isEqualTo(1L);
        assertThat(c.exists(key)).isFalse();
    }

    @Test
    void aWriteAcknowledgedAtOneReplicaIsReadAtEveryOther() {
        List<Jedis> clients = List.of(a, b, c);
        for (int i = 0; i < 60; i++) {
            Jedis writer = clients.get(i % 3);
            assertThat(writer.set(k("key"), "v" + i)).isEqualTo("OK");
            assertThat(clients.get((i + 1) % 3).get(k("key"))).isEqualTo("v" + i);
            assertThat(clients.get((i + 2) % 3).incr(k("n"))).isEqualTo(i + 1L);
            assertThat(writer.get(k("n"))).isEqualTo(String.valueOf(i + 1));
        }
    }

    /**
     * The most common client pattern, a read then a write on one connection (GET, then SET if
     * missing): the connection's first request, a read, still takes a request number, so its first
     * write tells the replicated session table that earlier requests were answered, and the table,
     * which has never seen the session, takes it for an expired one.
     */
    @Test
    void aConnectionWhoseFirstRequestIsAReadCanStillWrite() {
        try (Jedis reader = cluster.replica(1).jedis()) {
            assertThat(reader.get(k("key"))).isNull();
            assertThat(reader.set(k("key"), "v")).isEqualTo("OK");
            assertThat(c.get(k("key"))).isEqualTo("v");
        }
    }

    /** The same, with the read and the write pipelined. */
    @Test
    void aConnectionWhoseFirstRequestIsAPipelinedReadCanStillWrite() {
        try (Jedis pipelining = cluster.replica(2).jedis()) {
            var p = pipelining.pipelined();
            var read = p.exists(k("other"));
            var write = p.incr(k("other"));
            p.sync();
            assertThat(read.get()).isFalse();
            assertThat(write.get()).isEqualTo(1L);
        }
    }

    // ------------------------------------------------------------------------------ connection

    @Test
    void pingEchoAndSelect() {
        assertThat(a.ping()).isEqualTo("PONG");
        assertThat(b.ping("hello there")).isEqualTo("hello there");
        assertThat(c.echo("echo \r\n me")).isEqualTo("echo \r\n me");
        assertThat(a.echo(new byte[] {0, 1, 2})).isEqualTo(new byte[] {0, 1, 2});
        assertThat(errorOf(a, "PING", "one", "two")).isEqualTo("ERR wrong number of arguments for 'ping' command");
        assertThat(errorOf(b, "ECHO")).isEqualTo("ERR wrong number of arguments for 'echo' command");

        try (Jedis j = cluster.replica(1).jedis()) {
            assertThat(j.select(0)).isEqualTo("OK");
            assertThatThrownBy(() -> j.select(1)).isInstanceOf(JedisDataException.class)
                    .hasMessage("ERR DB index is out of range");
            assertThat(errorOf(j, "SELECT", "zero")).isEqualTo(NOT_AN_INTEGER);
            // Still database 0, still working.
            assertThat(j.set(k("key"), "v")).isEqualTo("OK");
            assertThat(c.get(k("key"))).isEqualTo("v");
        }
    }

    @Test
    void clientNameAndId() {
        try (Jedis one = cluster.replica(0).jedis(); Jedis two = cluster.replica(0).jedis()) {
            assertThat(one.clientGetname()).isNull();
            assertThat(one.clientSetname("kv-test")).isEqualTo("OK");
            assertThat(one.clientGetname()).isEqualTo("kv-test");
            assertThat(two.clientGetname()).isNull();
            assertThatThrownBy(() -> one.clientSetname("bad name")).isInstanceOf(JedisDataException.class)
                    .hasMessage("ERR Client names cannot contain spaces, newlines or special characters.");
            assertThat(one.clientGetname()).isEqualTo("kv-test");
            // An empty name clears it.
            assertThat(one.clientSetname("")).isEqualTo("OK");
            assertThat(one.clientGetname()).isNull();

            long id1 = one.clientId();
            long id2 = two.clientId();
            assertThat(id1).isPositive();
            assertThat(id2).isPositive().isNotEqualTo(id1);
            assertThat(one.clientId()).isEqualTo(id1);

            assertThat(rawOf(one, "CLIENT", "SETINFO", "LIB-NAME", "kv-test")).isEqualTo("OK");
            assertThat(errorOf(one, "CLIENT", "NOSUCH")).isEqualTo("ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.");
            assertThat(errorOf(one, "CLIENT")).isEqualTo("ERR wrong number of arguments for 'client' command");
            assertThat(errorOf(one, "CLIENT", "SETNAME"))
                    .isEqualTo("ERR wrong number of arguments for 'client|setname' command");
        }
    }

    @Test
    void infoReportsTheReplicaAndItsView() {
        List<Jedis> clients = List.of(a, b, c);
        Set<String> names = cluster.replicas().stream().map(KvCluster.Replica::name).collect(Collectors.toSet());
        Set<String> viewIds = new HashSet<>();
        Set<String> ranks = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            KvCluster.Replica r = cluster.replica(i);
            Map<String, String> repl = KvCluster.parseInfo(clients.get(i).info("replication"));
            assertThat(repl).containsEntry("role", "master").containsEntry("cohort_role", "replica")
                    .containsKeys("cohort_view_id", "cohort_members", "cohort_rank", "cohort_applied_index",
                            "cohort_log_sequence", "cohort_lag");
            assertThat(new HashSet<>(Arrays.asList(repl.get("cohort_members").split(",")))).isEqualTo(names);
            assertThat(Long.parseLong(repl.get("cohort_applied_index"))).isNotNegative();
            assertThat(Long.parseLong(repl.get("cohort_log_sequence"))).isNotNegative();
            assertThat(Long.parseLong(repl.get("cohort_lag"))).isNotNegative();
            viewIds.add(repl.get("cohort_view_id"));
            ranks.add(repl.get("cohort_rank"));

            Map<String, String> server = KvCluster.parseInfo(clients.get(i).info("server"));
            assertThat(server).containsEntry("cohort_member", r.name())
                    .containsEntry("tcp_port", String.valueOf(r.redis().getPort()))
                    .containsEntry("process_id", String.valueOf(r.process().pid()))
                    .containsEntry("redis_mode", "standalone")
                    .containsKey("redis_version");
            assertThat(Long.parseLong(KvCluster.parseInfo(clients.get(i).info("clients")).get("connected_clients")))
                    .isPositive();
        }
        assertThat(viewIds).as("one view at every replica").hasSize(1);
        assertThat(ranks).containsExactlyInAnyOrder("0", "1", "2");

        String all = b.info();
        assertThat(all).contains("# Server\r\n", "# Clients\r\n", "# Replication\r\n", "# Keyspace\r\n");
        assertThat(c.info("nosuchsection")).isEmpty();

        // The applied index moves with the log: a write acknowledged at a, then read at b, is applied at b.
        long before = Long.parseLong(KvCluster.parseInfo(a.info("replication")).get("cohort_applied_index"));
        assertThat(a.set(k("key"), "v")).isEqualTo("OK");
        assertThat(b.get(k("key"))).isEqualTo("v");
        long after = Long.parseLong(KvCluster.parseInfo(b.info("replication")).get("cohort_applied_index"));
        assertThat(after).isGreaterThan(before);
    }

    @Test
    void unknownCommandsAndWrongArity() {
        assertThat(errorOf(a, "NOSUCHCMD", "a", "b"))
                .isEqualTo("ERR unknown command 'NOSUCHCMD', with args beginning with: 'a' 'b' ");
        assertThat(errorOf(b, "nosuchcmd")).isEqualTo("ERR unknown command 'nosuchcmd', with args beginning with: ");
        assertThat(errorOf(c, "GET")).isEqualTo("ERR wrong number of arguments for 'get' command");
        assertThat(errorOf(a, "get", k("a"), k("b"))).isEqualTo("ERR wrong number of arguments for 'get' command");
        assertThat(errorOf(b, "SET", k("a"))).isEqualTo("ERR wrong number of arguments for 'set' command");
        assertThat(errorOf(c, "DEL")).isEqualTo("ERR wrong number of arguments for 'del' command");
        assertThat(errorOf(a, "EXISTS")).isEqualTo("ERR wrong number of arguments for 'exists' command");
        assertThat(errorOf(b, "INCR")).isEqualTo("ERR wrong number of arguments for 'incr' command");
        assertThat(errorOf(c, "MSET", k("a"))).isEqualTo("ERR wrong number of arguments for 'mset' command");
        assertThat(errorOf(a, "EXPIRE", k("a"))).isEqualTo("ERR wrong number of arguments for 'expire' command");
        assertThat(errorOf(b, "TTL")).isEqualTo("ERR wrong number of arguments for 'ttl' command");
        assertThat(errorOf(c, "DBSIZE", "x")).isEqualTo("ERR wrong number of arguments for 'dbsize' command");
        assertThat(errorOf(a, "KEYS")).isEqualTo("ERR wrong number of arguments for 'keys' command");
        // Nothing was written, and the connections still work.
        assertThat(b.exists(k("a"))).isFalse();
        assertThat(a.ping()).isEqualTo("PONG");
        assertThat(c.ping()).isEqualTo("PONG");
    }

    @Test
    void commandIntrospection() {
        Object all = rawOf(a, "COMMAND");
        assertThat(all).isInstanceOf(List.class);
        assertThat(b.commandCount()).isEqualTo(((List<?>) all).size());

        Map<String, CommandInfo> info = c.commandInfo("get", "set", "incr");
        assertThat(info.get("get").getArity()).isEqualTo(2L);
        assertThat(info.get("get").getFlags()).contains("readonly");
        assertThat(info.get("get").getFirstKey()).isEqualTo(1L);
        assertThat(info.get("set").getArity()).isEqualTo(-3L);
        assertThat(info.get("set").getFlags()).contains("write");
        assertThat(info.get("incr").getArity()).isEqualTo(2L);
        // An unknown name gets a null entry.
        assertThat(rawOf(a, "COMMAND", "INFO", "get", "nosuchcmd")).asInstanceOf(InstanceOfAssertFactories.LIST)
                .hasSize(2).element(1).isNull();
        // No documentation is served, but asking is no error.
        assertThat(rawOf(b, "COMMAND", "DOCS", "get")).isInstanceOf(List.class);
        assertThat(errorOf(c, "COMMAND", "NOSUCH")).isEqualTo("ERR unknown subcommand 'NOSUCH'. Try COMMAND HELP.");
    }

    @Test
    void helloAndConfigGet() {
        try (Jedis j = cluster.replica(2).jedis()) {
            List<Object> hello = asStrings(rawOf(j, "HELLO", "2", "SETNAME", "via-hello"));
            assertThat(hello).containsSubsequence("server", "redis").containsSubsequence("proto", 2L)
                    .containsSubsequence("role", "master");
            assertThat(j.clientGetname()).isEqualTo("via-hello");
            assertThat(asStrings(rawOf(j, "HELLO"))).containsSubsequence("proto", 2L);
            assertThat(errorOf(j, "HELLO", "3")).startsWith("NOPROTO");
            assertThat(j.ping()).isEqualTo("PONG");

            assertThat(j.configGet("save")).containsExactly(Map.entry("save", ""));
            assertThat(j.configGet("appendonly")).containsExactly(Map.entry("appendonly", "no"));
            assertThat(j.configGet("no-such-parameter")).isEmpty();
            assertThat(errorOf(j, "CONFIG", "SET", "save", "")).startsWith("ERR unknown subcommand 'SET'");
        }
    }

    @Test
    void quitClosesTheConnection() {
        Jedis j = cluster.replica(0).jedis();
        try {
            assertThat(j.ping()).isEqualTo("PONG");
            assertThat(rawOf(j, "QUIT")).isEqualTo("OK");
            Throwable after = catchThrowable(j::ping);
            assertThat(after).isInstanceOf(JedisConnectionException.class);
        } finally {
            j.close();
        }
        try (Jedis fresh = cluster.replica(0).jedis()) {
            assertThat(fresh.ping()).isEqualTo("PONG");
        }
    }

    /**
     * Inline commands, as typed into telnet: words split on spaces, with double quotes that take
     * Redis's escapes (backslash n, t, xHH ...) and single quotes that take none.
     */
    @Test
    void inlineCommands() throws IOException {
        try (Socket socket = new Socket(cluster.replica(0).redis().getHost(), cluster.replica(0).redis().getPort())) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            out.write(bytes("SET " + k("key") + " \"hello world\"\r\nPING\r\n"));
            out.flush();
            assertThat(readReply(in)).isEqualTo("+OK");
            assertThat(readReply(in)).isEqualTo("+PONG");
            assertThat(b.get(k("key"))).isEqualTo("hello world");

            SoftAssertions.assertSoftly(soft -> {
                for (String[] typedAndMeant : new String[][] {
                        {"ECHO \"a\\nb\"", "a\nb"},
                        {"ECHO \"tab\\there\"", "tab\there"},
                        {"ECHO \"\\x41\\x42\"", "AB"},
                        {"ECHO \"say \\\"hi\\\"\"", "say \"hi\""},
                        {"ECHO 'it''s'", null}, // two quoted words without a space between: a protocol error
                }) {
                    try {
                        out.write(bytes(typedAndMeant[0] + "\r\n"));
                        out.flush();
                        String expected = typedAndMeant[1] == null ? "-ERR Protocol error: unbalanced quotes in request"
                                : "$" + bytes(typedAndMeant[1]).length + "\r\n" + typedAndMeant[1];
                        soft.assertThat(readReply(in)).as("reply to %s", typedAndMeant[0]).isEqualTo(expected);
                    } catch (IOException e) {
                        soft.fail("no reply to " + typedAndMeant[0] + ": " + e);
                    }
                }
            });
        }
    }

    /**
     * Bad input at a real replica: each bad connection gets Redis's protocol error and is closed,
     * while a client connected before keeps being served and sees every acknowledged write.
     */
    @Test
    void badInputClosesOnlyTheBadConnection() throws IOException {
        var redis = cluster.replica(1).redis();
        try (Jedis bystander = cluster.replica(1).jedis()) {
            assertThat(bystander.set(k("before"), "1")).isEqualTo("OK");
            java.util.Random garbage = new java.util.Random(42);
            byte[] binary = new byte[4096];
            garbage.nextBytes(binary);
            binary[0] = '*';
            binary[1] = 'x';
            for (byte[] bad : List.of(bytes("*1\r\n$1000000000\r\n"), bytes("*2000000000\r\n"),
                    bytes("*1\r\n+foo\r\n"), binary, bytes("SET a \"b\r\n"))) {
                try (Socket socket = new Socket(redis.getHost(), redis.getPort())) {
                    socket.setSoTimeout(20_000);
                    socket.getOutputStream().write(bad);
                    socket.getOutputStream().flush();
                    InputStream in = new BufferedInputStream(socket.getInputStream());
                    assertThat(readReply(in)).startsWith("-ERR Protocol error: ");
                    assertThat(in.read()).as("closed by the replica").isEqualTo(-1);
                }
                // Half a command, then gone.
                try (Socket socket = new Socket(redis.getHost(), redis.getPort())) {
                    socket.getOutputStream().write(bytes("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nab"));
                    socket.getOutputStream().flush();
                }
                assertThat(bystander.ping()).isEqualTo("PONG");
            }
            assertThat(bystander.get(k("before"))).isEqualTo("1");
            assertThat(bystander.set(k("after"), "2")).isEqualTo("OK");
            try (Jedis other = cluster.replica(2).jedis()) {
                assertThat(other.get(k("after"))).isEqualTo("2");
            }
        }
    }

    /** Reads one simple-string, error, integer or bulk reply, as text without its final CRLF. */
    private static String readReply(InputStream in) throws IOException {
        String line = readLine(in);
        if (!line.startsWith("$") || line.equals("$-1")) {
            return line;
        }
        int length = Integer.parseInt(line.substring(1));
        byte[] body = in.readNBytes(length + 2);
        return line + "\r\n" + new String(body, 0, length, StandardCharsets.UTF_8);
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder s = new StringBuilder();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                throw new IOException("connection closed after '" + s + "'");
            }
            s.append((char) c);
        }
        return s.toString().endsWith("\r") ? s.substring(0, s.length() - 1) : s.toString();
    }

    // --------------------------------------------------------------------------------- helpers

    private static ProtocolCommand command(String name) {
        byte[] raw = SafeEncoder.encode(name);
        return () -> raw;
    }

    /** Sends a command as words; a bulk or status reply comes back as a String, arrays element by element. */
    private static Object rawOf(Jedis j, String... words) {
        return asString(j.sendCommand(command(words[0]), Arrays.copyOfRange(words, 1, words.length)));
    }

    private static Object asString(Object reply) {
        if (reply instanceof byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
        if (reply instanceof List<?> list) {
            List<Object> out = new ArrayList<>();
            list.forEach(e -> out.add(asString(e)));
            return out;
        }
        return reply;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> asStrings(Object reply) {
        assertThat(reply).isInstanceOf(List.class);
        return (List<Object>) reply;
    }

    /** Sends a command; returns its reply as {@link #rawOf} does, or its error text. */
    private static Object replyOf(Jedis j, String... words) {
        try {
            return rawOf(j, words);
        } catch (JedisDataException e) {
            return e.getMessage();
        }
    }

    /** Sends a command that must fail, and returns the error text. */
    private static String errorOf(Jedis j, String... words) {
        Throwable t = catchThrowable(() -> rawOf(j, words));
        assertThat(t).as("reply to %s", List.of(words)).isInstanceOf(JedisDataException.class);
        return t.getMessage();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[] x, byte[] y) {
        byte[] out = Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, out, x.length, y.length);
        return out;
    }
}
