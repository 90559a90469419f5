package io.cohort.integration;

import io.cohort.client.CohortClient;
import io.cohort.integration.harness.ChildJvm;
import io.cohort.integration.harness.ChildProcess;
import io.cohort.integration.replica.ReplicaNode;
import io.cohort.replication.ReadConsistency;
import io.cohort.replication.ReplicationMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three replicas in separate JVMs, each mode in turn, with clients submitting commands throughout:
 * kill -9 of the replica a client talks to, then (after it restarts and rejoins) kill -9 of the
 * coordinator (the primary in primary-backup). Afterwards every command acknowledged to a client
 * is applied exactly once on every surviving replica, and their state hashes agree. Clients fail
 * over by themselves; the test only keeps submitting.
 */
class MultiProcessReplicationTest {

    private static final Duration VIEW_WAIT = Duration.ofSeconds(45);
    private static final int CLIENTS = 4;

    /** One replica slot: fixed name and ports, across restarts. */
    private final class Slot {
        final String name;
        final int groupPort;
        final int clientPort;
        ChildProcess process;
        int generation;

        Slot(String name) throws IOException {
            this.name = name;
            this.groupPort = freePort();
            this.clientPort = freePort();
        }

        void start(ReplicationMode mode) throws IOException {
            generation++;
            Map<String, String> props = new LinkedHashMap<>();
            props.put("cohort.clusterName", "rsm-" + mode.name().toLowerCase());
            props.put("cohort.memberName", name);
            props.put("cohort.bindHost", "127.0.0.1");
            props.put("cohort.bindPort", Integer.toString(groupPort));
            props.put("cohort.seeds", seeds());
            props.put("cohort.heartbeatIntervalMillis", "50");
            props.put("cohort.suspectTimeoutMillis", "600");
            props.put("cohort.bootstrapTimeoutMillis", "1500");
            props.put("cohort.joinRetryMillis", "200");
            props.put("replica.mode", mode.name());
            props.put("replica.clientPort", Integer.toString(clientPort));
            process = new ChildProcess(name + "-" + generation, ChildJvm.command(ReplicaNode.class, props), dir);
        }

        /** @return the members of the last view this replica printed, by name, rank order */
        List<String> lastViewMembers() {
            var m = process.stdout().last(0, l -> l.startsWith("VIEW "));
            if (m == null) {
                return List.of();
            }
            return Arrays.stream(m.line().split(" ")[2].split(",")).map(s -> s.substring(0, s.indexOf('#'))).toList();
        }

        String status() {
            return process.request("status", "STATUS ", Duration.ofSeconds(20));
        }
    }

    @TempDir
    Path dir;
    private final List<Slot> slots = new ArrayList<>();
    private final List<CohortClient> clients = new ArrayList<>();

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
        clients.forEach(CohortClient::close);
        for (Slot s : slots) {
            if (s.process != null && s.process.isAlive()) {
                s.process.destroy();
            }
        }
    }

    /** Waits until every given replica's last printed view is exactly the given names. */
    private void awaitView(List<Slot> members) {
        Set<String> names = members.stream().map(s -> s.name).collect(Collectors.toSet());
        await().atMost(VIEW_WAIT).until(() -> members.stream()
                .allMatch(s -> new HashSet<>(s.lastViewMembers()).equals(names)));
    }

    @ParameterizedTest
    @EnumSource(ReplicationMode.class)
    void acknowledgedCommandsSurviveKillingTheClientsReplicaAndTheCoordinator(ReplicationMode mode) throws Exception {
        for (int i = 1; i <= 3; i++) {
            slots.add(new Slot("r" + i));
        }
        for (Slot s : slots) {
            s.start(mode);
        }
        awaitView(slots);

        List<InetSocketAddress> endpoints = slots.stream()
                .map(s -> new InetSocketAddress("127.0.0.1", s.clientPort)).toList();
        Map<String, String> acknowledged = new ConcurrentHashMap<>();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> workers = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            CohortClient client = CohortClient.builder().endpoints(endpoints).requestTimeout(Duration.ofSeconds(2))
                    .overallTimeout(Duration.ofSeconds(60)).build();
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
        awaitProgress(acknowledged, 200);

        // 1. kill -9 the replica client 0 is talking to.
        int port = clients.get(0).currentEndpoint().getPort();
        Slot clientsReplica = slots.stream().filter(s -> s.clientPort == port).findFirst().orElseThrow();
        clientsReplica.process.kill9();
        List<Slot> survivors = slots.stream().filter(s -> s != clientsReplica).toList();
        awaitView(survivors);
        awaitProgress(acknowledged, 200);
        assertThat(clients.get(0).currentEndpoint().getPort()).as("client 0 failed over").isNotEqualTo(port);

        // 2. it restarts and rejoins with the state; then kill -9 the coordinator (rank 0: the primary).
        clientsReplica.start(mode);
        awaitView(slots);
        awaitProgress(acknowledged, 200);
        String coordinatorName = survivors.get(0).lastViewMembers().get(0);
        Slot coordinator = slots.stream().filter(s -> s.name.equals(coordinatorName)).findFirst().orElseThrow();
        coordinator.process.kill9();
        List<Slot> last = slots.stream().filter(s -> s != coordinator).toList();
        awaitView(last);
        awaitProgress(acknowledged, 200);

        running.set(false);
        for (Thread t : workers) {
            t.join(Duration.ofSeconds(90).toMillis());
            assertThat(t.isAlive()).as(t.getName() + " finished its last command").isFalse();
        }

        // Every acknowledged command was applied exactly once ("1" is how many times it had been applied).
        assertThat(acknowledged.values()).containsOnly("1");
        Set<String> hashes = new HashSet<>();
        for (Slot s : last) {
            Map<String, Integer> counts = dump(s);
            assertThat(counts.keySet()).as("acknowledged commands at " + s.name).containsAll(acknowledged.keySet());
            assertThat(counts.values()).as("applications per command at " + s.name).containsOnly(1);
            String[] status = s.status().split(" ");
            hashes.add(status[3] + "@" + status[4]);
        }
        assertThat(hashes).as("index@hash at the survivors").hasSize(1);
        System.out.printf("%s: %d commands acknowledged; survivors at %s; client failovers %s%n", mode,
                acknowledged.size(), hashes, clients.stream().map(c -> c.currentEndpoint().getPort() + "").toList());
    }

    /** Waits until clients have had {@code more} further commands acknowledged. */
    private static void awaitProgress(Map<String, String> acknowledged, int more) {
        int target = acknowledged.size() + more;
        await().atMost(VIEW_WAIT).until(() -> acknowledged.size() >= target);
    }

    /** Reads one replica's applied commands with a client bound to it alone. */
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
