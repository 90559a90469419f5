package io.cohort.integration.kv;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohort.integration.harness.ClusterHarness;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * A replica is killed (SIGKILL) under a client writing through it. The client does what a Redis
 * user does: on a connection error it reconnects to another replica and retries. Every write it
 * saw acknowledged, before or after the kill, must then be readable at the survivors, and at the
 * killed replica once it has restarted from its own data directory.
 */
@ExtendWith(KvCluster.LogsOnFailure.class)
class KvFailoverTest {

    /** Writes acknowledged before the kill, and again after the client has moved to another replica. */
    private static final int WRITES_PER_PHASE = 300;
    /** How long the client keeps retrying one write before giving up. */
    private static final Duration RETRY_FOR = Duration.ofSeconds(30);
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static KvCluster cluster;

    @BeforeAll
    static void startCluster() throws IOException {
        cluster = KvCluster.start(KvFailoverTest.class.getSimpleName(), 3);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void acknowledgedWritesSurviveTheKillOfTheClientsReplicaAndItsRestart() throws Exception {
        // The coordinator (rank 0) is the victim: its loss is the harder case.
        KvCluster.Replica victim = coordinator();
        List<KvCluster.Replica> survivors = cluster.replicas().stream().filter(r -> r != victim).toList();
        long victimIncarnation = victim.view().get("incarnation").asLong();

        Writer writer = new Writer(Stream.concat(Stream.of(victim), survivors.stream()).toList());
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<?> writing = pool.submit(writer);
            awaitWriter(writer, writing, "writes acknowledged at " + victim.name(),
                    () -> writer.acknowledged.size() >= WRITES_PER_PHASE);
            assertThat(writer.connectionErrors.get()).as("connection errors before the kill").isZero();

            int acknowledgedAtKill = writer.acknowledged.size();
            victim.kill9();
            awaitWriter(writer, writing, "writes acknowledged after the kill",
                    () -> writer.acknowledged.size() >= acknowledgedAtKill + WRITES_PER_PHASE);
            writer.stop = true;
            writing.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        // The client was writing through the victim: it must have noticed the kill and moved on.
        assertThat(writer.connectionErrors.get()).as("connection errors seen by the client").isPositive();
        Map<String, String> acknowledged = Map.copyOf(writer.acknowledged);
        Set<String> unknown = Set.copyOf(writer.unknown);
        String summary = acknowledged.size() + " acknowledged, " + unknown.size() + " unknown " + unknown
                + ", connection errors " + writer.connectionErrors + ", TRYAGAIN " + writer.tryAgains;
        System.out.println("KvFailoverTest: killed " + victim.name() + "; client: " + summary);

        // Every acknowledged write is at every survivor; the unknown ones are the same at both.
        Map<String, String> unknownAtSurvivors = null;
        for (KvCluster.Replica r : survivors) {
            assertThat(read(r, acknowledged.keySet())).as("acknowledged writes at survivor %s (%s)", r.name(), summary)
                    .containsExactlyInAnyOrderEntriesOf(acknowledged);
            Map<String, String> unknownHere = read(r, unknown);
            if (unknownAtSurvivors != null) {
                assertThat(unknownHere).as("writes of unknown outcome at %s", r.name()).isEqualTo(unknownAtSurvivors);
            }
            unknownAtSurvivors = unknownHere;
            for (String key : unknown) {
                assertThat(unknownHere.get(key)).as("%s at %s", key, r.name()).isIn(null, Writer.valueOf(key));
            }
        }

        // The victim kept a log; it restarts from it and catches up to the same state.
        try (Stream<Path> files = Files.walk(victim.dataDir())) {
            assertThat(files.filter(Files::isRegularFile).count()).as("files in %s", victim.dataDir()).isPositive();
        }
        victim.restart();
        cluster.awaitConverged(cluster.replicas());
        assertThat(victim.view().get("incarnation").asLong()).as("a new incarnation").isNotEqualTo(victimIncarnation);
        assertThat(read(victim, acknowledged.keySet())).as("acknowledged writes at the restarted %s (%s)", victim.name(),
                summary).containsExactlyInAnyOrderEntriesOf(acknowledged);
        assertThat(read(victim, unknown)).as("writes of unknown outcome at the restarted %s", victim.name())
                .isEqualTo(unknownAtSurvivors);
        List<Long> sizes = new ArrayList<>();
        for (KvCluster.Replica r : cluster.replicas()) {
            try (Jedis j = r.jedis()) {
                sizes.add(j.dbSize());
            }
        }
        assertThat(sizes).as("DBSIZE at every replica").containsOnly(sizes.get(0));

        // And it serves writes again, seen everywhere.
        try (Jedis j = victim.jedis()) {
            assertThat(j.set("failover:after-restart", "back")).isEqualTo("OK");
        }
        for (KvCluster.Replica r : survivors) {
            try (Jedis j = r.jedis()) {
                assertThat(j.get("failover:after-restart")).as("at %s", r.name()).isEqualTo("back");
            }
        }
    }

    private static KvCluster.Replica coordinator() {
        JsonNode view = cluster.replica(0).view();
        for (JsonNode m : view.get("members")) {
            if (m.get("rank").asInt() == 0) {
                String name = m.get("name").asText();
                return cluster.replicas().stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
            }
        }
        throw new AssertionError("no rank 0 in " + view);
    }

    /** Waits for the writer to get somewhere, failing at once if it died. */
    private static void awaitWriter(Writer writer, Future<?> writing, String what,
                                    Callable<Boolean> condition) {
        ClusterHarness.awaitCondition(what, WAIT, Duration.ofMillis(20), () -> {
            if (writing.isDone()) {
                writing.get(); // throws what the writer threw
                throw new AssertionError("the writer stopped");
            }
            return condition.call();
        }, () -> "writer: " + writer.acknowledged.size() + " acknowledged, " + writer.unknown.size()
                + " unknown, connection errors " + writer.connectionErrors + "; " + cluster.describeViews(cluster.live()));
    }

    /** Reads keys at one replica: key to value, null for a missing key. */
    private static Map<String, String> read(KvCluster.Replica replica, Set<String> keys) {
        List<String> all = new ArrayList<>(keys);
        Map<String, String> values = new HashMap<>();
        try (Jedis j = replica.jedis()) {
            for (int from = 0; from < all.size(); from += 200) {
                String[] chunk = all.subList(from, Math.min(all.size(), from + 200)).toArray(String[]::new);
                List<String> got = j.mget(chunk);
                for (int i = 0; i < chunk.length; i++) {
                    values.put(chunk[i], got.get(i));
                }
            }
        }
        return values;
    }

    /**
     * A client that sets {@code failover:<i>} to {@code value-<i>} for i = 0, 1, ... until stopped.
     * On a connection error it moves to the next replica and retries the same write there, for at
     * most {@link #RETRY_FOR}; a write that failed at least once and was never acknowledged has an
     * unknown outcome.
     */
    private static final class Writer implements Runnable {
        final List<KvCluster.Replica> endpoints;
        final Map<String, String> acknowledged = new ConcurrentHashMap<>();
        final Set<String> unknown = ConcurrentHashMap.newKeySet();
        final AtomicInteger connectionErrors = new AtomicInteger();
        final AtomicInteger tryAgains = new AtomicInteger();
        volatile boolean stop;

        Writer(List<KvCluster.Replica> endpoints) {
            this.endpoints = endpoints;
        }

        static String valueOf(String key) {
            return "value-" + key.substring(key.indexOf(':') + 1);
        }

        @Override
        public void run() {
            int endpoint = 0;
            Jedis j = null;
            try {
                for (int i = 0; !stop; i++) {
                    String key = "failover:" + i;
                    String value = valueOf(key);
                    long giveUp = System.nanoTime() + RETRY_FOR.toNanos();
                    while (true) {
                        try {
                            if (j == null) {
                                j = endpoints.get(endpoint).jedis();
                            }
                            String reply = j.set(key, value);
                            if (!"OK".equals(reply)) {
                                throw new AssertionError("SET " + key + " answered " + reply);
                            }
                            acknowledged.put(key, value);
                            unknown.remove(key);
                            break;
                        } catch (JedisConnectionException e) {
                            // The replica is gone (or going): the write may or may not have happened.
                            connectionErrors.incrementAndGet();
                            unknown.add(key);
                            if (j != null) {
                                j.close();
                                j = null;
                            }
                            endpoint = (endpoint + 1) % endpoints.size();
                        } catch (JedisDataException e) {
                            if (e.getMessage() == null || !e.getMessage().startsWith("TRYAGAIN")) {
                                throw e;
                            }
                            // Not applied, says the replica; retry, as it suggests.
                            tryAgains.incrementAndGet();
                            unknown.add(key);
                        }
                        if (System.nanoTime() > giveUp) {
                            throw new AssertionError("no replica acknowledged SET " + key + " within " + RETRY_FOR);
                        }
                    }
                }
            } finally {
                if (j != null) {
                    j.close();
                }
            }
        }
    }
}
