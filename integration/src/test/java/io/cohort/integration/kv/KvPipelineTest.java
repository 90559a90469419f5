package io.cohort.integration.kv;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

/**
 * Pipelining and concurrency against a three-replica cluster: pipelined replies come back in
 * request order and each request sees the effect of those before it on its connection; many
 * clients incrementing one counter through different replicas each get distinct, increasing
 * values and lose no increment.
 */
@ExtendWith(KvCluster.LogsOnFailure.class)
class KvPipelineTest {

    /** Hang guard for a client thread. */
    private static final long THREAD_TIMEOUT_SECONDS = 90;

    private static KvCluster cluster;

    @BeforeAll
    static void startCluster() throws IOException {
        cluster = KvCluster.start(KvPipelineTest.class.getSimpleName(), 3);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aPipelineOfMixedCommandsIsAnsweredInOrderAndReadsItsOwnWrites() {
        int rounds = 250; // four commands each: 1000 in one pipeline
        List<Response<String>> sets = new ArrayList<>();
        List<Response<String>> gets = new ArrayList<>();
        List<Response<Long>> incrs = new ArrayList<>();
        List<Response<String>> counterGets = new ArrayList<>();
        List<Object> all;
        try (Jedis j = cluster.replica(0).jedis()) {
            Pipeline p = j.pipelined();
            for (int i = 0; i < rounds; i++) {
                sets.add(p.set("mixed:k" + i, "value-" + i));
                gets.add(p.get("mixed:k" + i));
                incrs.add(p.incr("mixed:counter"));
                counterGets.add(p.get("mixed:counter"));
            }
            all = p.syncAndReturnAll();
        }
        assertThat(all).hasSize(4 * rounds);
        for (int i = 0; i < rounds; i++) {
            assertThat(sets.get(i).get()).as("SET %d", i).isEqualTo("OK");
            assertThat(gets.get(i).get()).as("GET after SET %d", i).isEqualTo("value-" + i);
            assertThat(incrs.get(i).get()).as("INCR %d", i).isEqualTo(i + 1L);
            assertThat(counterGets.get(i).get()).as("GET after INCR %d", i).isEqualTo(String.valueOf(i + 1));
        }

        // Acknowledged at replica 0, so readable at the others.
        String[] keys = new String[rounds];
        String[] values = new String[rounds];
        for (int i = 0; i < rounds; i++) {
            keys[i] = "mixed:k" + i;
            values[i] = "value-" + i;
        }
        for (int r = 1; r < 3; r++) {
            try (Jedis other = cluster.replica(r).jedis()) {
                assertThat(other.mget(keys)).containsExactly(values);
                assertThat(other.get("mixed:counter")).isEqualTo(String.valueOf(rounds));
            }
        }
    }

    @Test
    void pipelinedReadsAndWritesOfOneKeySeeEachOtherInOrder() {
        int rounds = 200; // six commands each, alternating between writes and reads
        List<Object> replies;
        try (Jedis j = cluster.replica(1).jedis()) {
            Pipeline p = j.pipelined();
            for (int i = 0; i < rounds; i++) {
                p.set("order:x", Integer.toString(i));
                p.get("order:x");
                p.append("order:x", "!");
                p.get("order:x");
                p.del("order:x");
                p.exists("order:x");
            }
            replies = p.syncAndReturnAll();
        }
        assertThat(replies).hasSize(6 * rounds);
        for (int i = 0; i < rounds; i++) {
            String v = Integer.toString(i);
            assertThat(replies.subList(6 * i, 6 * i + 6)).as("round %d", i)
                    .containsExactly("OK", v, (long) v.length() + 1, v + "!", 1L, false);
        }
        try (Jedis other = cluster.replica(2).jedis()) {
            assertThat(other.exists("order:x")).isFalse();
        }
    }

    @Test
    void concurrentIncrementsThroughEveryReplicaAreEachCountedOnce() throws Exception {
        int threads = 8;
        int perThread = 500;
        List<long[]> results = runConcurrently(threads, t -> {
            long[] seen = new long[perThread];
            // Clients spread over the three replicas.
            try (Jedis j = cluster.replica(t % 3).jedis()) {
                for (int i = 0; i < perThread; i++) {
                    seen[i] = j.incr("concurrent:counter");
                }
            }
            return seen;
        });
        assertDistinctIncreasingAndComplete(results, threads * perThread);
        for (KvCluster.Replica r : cluster.replicas()) {
            try (Jedis j = r.jedis()) {
                assertThat(j.get("concurrent:counter")).as("counter at %s", r.name())
                        .isEqualTo(String.valueOf(threads * perThread));
            }
        }
    }

    @Test
    void concurrentPipelinesThroughEveryReplicaAreEachCountedOnce() throws Exception {
        int threads = 3;
        int perThread = 500;
        List<long[]> results = runConcurrently(threads, t -> {
            List<Response<Long>> incrs = new ArrayList<>();
            try (Jedis j = cluster.replica(t).jedis()) {
                Pipeline p = j.pipelined();
                for (int i = 0; i < perThread; i++) {
                    incrs.add(p.incrBy("pipelined:counter", 1));
                    p.set("pipelined:last:" + t, Integer.toString(i));
                }
                p.sync();
            }
            return incrs.stream().mapToLong(Response::get).toArray();
        });
        assertDistinctIncreasingAndComplete(results, threads * perThread);
        try (Jedis j = cluster.replica(0).jedis()) {
            assertThat(j.get("pipelined:counter")).isEqualTo(String.valueOf(threads * perThread));
            assertThat(j.mget("pipelined:last:0", "pipelined:last:1", "pipelined:last:2"))
                    .containsOnly(Integer.toString(perThread - 1));
        }
    }

    /** Each client's values increase; together they are exactly 1..total, each once. */
    private static void assertDistinctIncreasingAndComplete(List<long[]> results, int total) {
        for (int t = 0; t < results.size(); t++) {
            long[] seen = results.get(t);
            for (int i = 1; i < seen.length; i++) {
                assertThat(seen[i]).as("client %d, increment %d after %d", t, i, seen[i - 1]).isGreaterThan(seen[i - 1]);
            }
        }
        long[] every = results.stream().flatMapToLong(LongStream::of).sorted().toArray();
        assertThat(every).containsExactly(LongStream.rangeClosed(1, total).toArray());
    }

    /** Runs {@code threads} clients at once (released together) and returns what each returned, in order. */
    private static List<long[]> runConcurrently(int threads, Function<Integer, long[]> client) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<long[]>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                futures.add(pool.submit(() -> {
                    go.await();
                    return client.apply(id);
                }));
            }
            go.countDown();
            List<long[]> results = new ArrayList<>();
            for (Future<long[]> f : futures) {
                results.add(f.get(THREAD_TIMEOUT_SECONDS, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
