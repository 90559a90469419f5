package io.cohort.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cohort.client.CohortClient;
import io.cohort.integration.harness.ChildJvm;
import io.cohort.integration.harness.ChildProcess;
import io.cohort.integration.replica.ReplicaNode;
import io.cohort.replication.ReadConsistency;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durable replicas (level LOG) in three JVMs, with clients submitting commands throughout: a
 * replica killed with kill -9 recovers from its own disk and catches up with the log suffix it
 * missed; one that stayed down while its peers removed that log catches up with a checkpoint from
 * a peer's disk; after kill -9 of every replica, restarting them in a random order loses no
 * acknowledged command and applies none twice.
 */
class MultiProcessRecoveryTest {

    private static final Duration VIEW_WAIT = Duration.ofSeconds(60);
    private static final int CLIENTS = 3;

    /** One replica slot: fixed name, ports and data directory, across restarts. */
    private final class Slot {
        final String name;
        final int groupPort;
        final int clientPort;
        final Path dataDir;
        final Map<String, String> extra;
        ChildProcess process;
        int generation;

        Slot(String name, Map<String, String> extra) throws IOException {
            this.name = name;
            this.groupPort = freePort();
            this.clientPort = freePort();
            this.dataDir = dir.resolve("data-" + name);
            this.extra = extra;
        }

        void start() throws IOException {
            generation++;
            Map<String, String> props = new LinkedHashMap<>();
            props.put("cohort.clusterName", "durable");
            props.put("cohort.memberName", name);
            props.put("cohort.bindHost", "127.0.0.1");
            props.put("cohort.bindPort", Integer.toString(groupPort));
            props.put("cohort.seeds", seeds());
            props.put("cohort.heartbeatIntervalMillis", "50");
            props.put("cohort.suspectTimeoutMillis", "600");
            props.put("cohort.bootstrapTimeoutMillis", "1500");
            props.put("cohort.joinRetryMillis", "200");
            props.put("replica.clientPort", Integer.toString(clientPort));
            props.put("replica.dataDir", dataDir.toString());
            props.put("replica.durability", "LOG");
            props.putAll(extra);
            process = new ChildProcess(name + "-" + generation, ChildJvm.command(ReplicaNode.class, props), dir);
        }

        List<String> lastViewMembers() {
            var m = process.stdout().last(0, l -> l.startsWith("VIEW "));
            if (m == null) {
                return List.of();
            }
            return Arrays.stream(m.line().split(" ")[2].split(",")).map(s -> s.substring(0, s.indexOf('#'))).toList();
        }

        /** @return "STATUS", viewId, role, appliedIndex, hash, logSequence */
        String[] status() {
            return process.request("status", "STATUS ", Duration.ofSeconds(20)).split(" ");
        }

        /** @return how often this replica caught up by log suffix, by snapshot, by live state */
        long[] catchUps() {
            String[] p = process.request("catchup", "CATCHUP ", Duration.ofSeconds(20)).split(" ");
            return new long[] {Long.parseLong(p[1]), Long.parseLong(p[2]), Long.parseLong(p[3])};
        }

        /** @return the first log sequence this replica's command log still holds */
        long firstLogSequence() {
            return Long.parseLong(process.request("log", "LOG ", Duration.ofSeconds(20)).split(" ")[1]);
        }
    }

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;
    private final List<Slot> slots = new ArrayList<>();
    private final List<CohortClient> clients = new ArrayList<>();
    private final Map<String, String> acknowledged = new ConcurrentHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> workers = new ArrayList<>();

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private String seeds() {
        return slots.stream().map(s -> "127.0.0.1:" + s.groupPort).collect(Collectors.joining(","));
    }

    @AfterEach
    void stop() {
        running.set(false);
        clients.forEach(CohortClient::close);
        for (Slot s : slots) {
            if (s.process != null && s.process.isAlive()) {
                s.process.destroy();
            }
        }
    }

    private void startCluster(Map<String, String> extra) throws IOException {
        for (int i = 1; i <= 3; i++) {
            slots.add(new Slot("d" + i, extra));
        }
        for (Slot s : slots) {
            s.start();
        }
        awaitView(slots);
    }

    private void awaitView(List<Slot> members) {
        Set<String> names = members.stream().map(s -> s.name).collect(Collectors.toSet());
        await().atMost(VIEW_WAIT).until(() -> members.stream()
                .allMatch(s -> new HashSet<>(s.lastViewMembers()).equals(names)));
    }

    /** Clients that keep submitting unique commands; each acknowledged one is recorded with its result. */
    private void startClients() {
        List<InetSocketAddress> endpoints = slots.stream()
                .map(s -> new InetSocketAddress("127.0.0.1", s.clientPort)).toList();
        for (int c = 0; c < CLIENTS; c++) {
            CohortClient client = CohortClient.builder().endpoints(endpoints).requestTimeout(Duration.ofSeconds(2))
                    .overallTimeout(Duration.ofSeconds(120)).build();
            clients.add(client);
            int clientNo = c;
            Thread t = new Thread(() -> {
                for (int n = 1; running.get(); n++) {
                    String id = "c" + clientNo + "-" + n;
                    byte[] result = client.execute(id.getBytes(StandardCharsets.UTF_8));
                    acknowledged.put(id, new String(result, StandardCharsets.UTF_8));
                }
            }, "client-" + c);
            t.start();
            workers.add(t);
        }
    }

    private void stopClients() throws InterruptedException {
        running.set(false);
        for (Thread t : workers) {
            t.join(Duration.ofSeconds(150).toMillis());
            assertThat(t.isAlive()).as(t.getName() + " finished its last command").isFalse();
        }
    }

    private void awaitProgress(int more) {
        int target = acknowledged.size() + more;
        await().atMost(VIEW_WAIT).until(() -> acknowledged.size() >= target);
    }

    /** Every acknowledged command applied exactly once at every replica, and equal state hashes. */
    private void assertConverged(List<Slot> replicas) {
        assertThat(acknowledged.values()).as("each acknowledged command was applied once when answered").containsOnly("1");
        // The replicas finish applying what was in flight when the clients stopped: wait until
        // their positions agree, then compare.
        await().atMost(VIEW_WAIT).until(() -> replicas.stream().map(s -> s.status()[5]).distinct().count() == 1);
        Set<String> hashes = new HashSet<>();
        for (Slot s : replicas) {
            Map<String, Integer> counts = dump(s);
            assertThat(counts.keySet()).as("acknowledged commands at " + s.name).containsAll(acknowledged.keySet());
            assertThat(counts.values()).as("applications per command at " + s.name).containsOnly(1);
            String[] status = s.status();
            hashes.add(status[3] + "@" + status[4]);
        }
        assertThat(hashes).as("appliedIndex@hash at every replica").hasSize(1);
    }

    @Test
    void aKilledReplicaRecoversFromItsOwnDiskAndCatchesUpByLogSuffix() throws Exception {
        startCluster(Map.of());
        startClients();
        awaitProgress(300);

        Slot victim = slots.get(1);
        victim.process.kill9();
        List<Slot> survivors = slots.stream().filter(s -> s != victim).toList();
        awaitView(survivors);
        awaitProgress(300);

        victim.start();
        awaitView(slots);
        awaitProgress(300);
        stopClients();

        assertThat(victim.catchUps()).as("catch-ups of the restarted replica: suffix, snapshot, live")
                .containsExactly(1, 0, 0);
        assertConverged(slots);
        System.out.printf("log-suffix catch-up: %d commands acknowledged; %s%n", acknowledged.size(),
                Arrays.toString(victim.status()));
    }

    @Test
    void aReplicaDownWhilePeersRemovedItsLogCatchesUpByCheckpoint() throws Exception {
        // Small checkpoints and one log file per second: peers soon remove the log the victim needs.
        startCluster(Map.of("replica.checkpointEvery", "200", "replica.rollCycle", "TEST_SECONDLY"));
        startClients();
        awaitProgress(300);

        Slot victim = slots.get(2);
        victim.process.kill9();
        List<Slot> survivors = slots.stream().filter(s -> s != victim).toList();
        awaitView(survivors);
        long victimReached = Long.parseLong(survivors.get(0).status()[5]);
        await().atMost(VIEW_WAIT).until(() -> survivors.stream().allMatch(s -> s.firstLogSequence() > victimReached + 1));

        victim.start();
        awaitView(slots);
        awaitProgress(300);
        stopClients();

        assertThat(victim.catchUps()).as("catch-ups of the restarted replica: suffix, snapshot, live")
                .containsExactly(0, 1, 0);
        assertConverged(slots);
        System.out.printf("checkpoint catch-up: %d commands acknowledged; victim was at or below %d%n",
                acknowledged.size(), victimReached);
    }

    @Test
    void afterKillingEveryReplicaARestartInAnyOrderKeepsEveryAcknowledgedCommandExactlyOnce() throws Exception {
        long seed = System.nanoTime();
        System.out.println("total-failure test: restart order seed " + seed);
        startCluster(Map.of("replica.checkpointEvery", "500"));
        startClients();
        awaitProgress(500);

        for (Slot s : slots) {
            s.process.kill9();
        }
        Map<String, String> acknowledgedBeforeCrash = Map.copyOf(acknowledged);

        List<Slot> order = new ArrayList<>(slots);
        Collections.shuffle(order, new Random(seed));
        for (Slot s : order) {
            s.start();
        }
        awaitView(slots);
        awaitProgress(300);
        stopClients();

        assertThat(acknowledged).containsAllEntriesOf(acknowledgedBeforeCrash);
        assertConverged(slots);
        System.out.printf("total failure: %d acknowledged before the crash, %d in all; restart order %s%n",
                acknowledgedBeforeCrash.size(), acknowledged.size(), order.stream().map(s -> s.name).toList());
    }

    private static Map<String, Integer> dump(Slot s) {
        try (CohortClient direct = CohortClient.builder()
                .endpoints(List.of(new InetSocketAddress("127.0.0.1", s.clientPort))).build()) {
            String text = new String(direct.read("DUMP".getBytes(StandardCharsets.UTF_8), ReadConsistency.LINEARIZABLE),
                    StandardCharsets.UTF_8);
            Map<String, Integer> counts = new HashMap<>();
            for (String line : text.split("\n")) {
                if (!line.isBlank()) {
                    String[] p = line.split(" ");
                    counts.put(p[0], Integer.parseInt(p[1]));
                }
            }
            return counts;
        }
    }
}
