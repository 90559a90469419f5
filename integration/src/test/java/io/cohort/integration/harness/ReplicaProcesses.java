package io.cohort.integration.harness;

import static org.awaitility.Awaitility.await;

import io.cohort.client.CohortClient;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Replica processes ({@link ReplicaNode} in child JVMs) on loopback for multi-process tests: fixed
 * names and ports per slot across restarts, their views, status and applied commands.
 */
public final class ReplicaProcesses implements AutoCloseable {

    /** How long to wait for a view or progress. */
    public static final Duration WAIT = Duration.ofSeconds(60);

    /** One replica slot: fixed name and ports, across restarts. */
    public final class Slot {
        /** The member name. */
        public final String name;
        /** Its group port. */
        public final int groupPort;
        /** Its client port. */
        public final int clientPort;
        /** The running process (the latest generation). */
        public ChildProcess process;
        private int generation;

        private Slot(String name) throws IOException {
            this.name = name;
            this.groupPort = freePort();
            this.clientPort = freePort();
        }

        /**
         * Starts (or restarts) the replica with the common properties plus {@code extra}.
         *
         * @param extra further system properties for {@link ReplicaNode}
         * @throws IOException if the process cannot start
         */
        public void start(Map<String, String> extra) throws IOException {
            generation++;
            Map<String, String> props = new LinkedHashMap<>();
            props.put("cohort.clusterName", cluster);
            props.put("cohort.memberName", name);
            props.put("cohort.bindHost", "127.0.0.1");
            props.put("cohort.bindPort", Integer.toString(groupPort));
            props.put("cohort.seeds", seeds());
            props.put("cohort.heartbeatIntervalMillis", "50");
            props.put("cohort.suspectTimeoutMillis", "600");
            props.put("cohort.bootstrapTimeoutMillis", "1500");
            props.put("cohort.joinRetryMillis", "200");
            props.put("replica.clientPort", Integer.toString(clientPort));
            props.putAll(extra);
            process = new ChildProcess(name + "-" + generation, ChildJvm.command(ReplicaNode.class, props), dir);
        }

        /** @return the members of the last view this replica printed, by name, rank order */
        public List<String> lastViewMembers() {
            var m = process.stdout().last(0, l -> l.startsWith("VIEW "));
            if (m == null) {
                return List.of();
            }
            return Arrays.stream(m.line().split(" ")[2].split(",")).map(s -> s.substring(0, s.indexOf('#'))).toList();
        }

        /** @return "STATUS", viewId, role, appliedIndex, hash, logSequence */
        public String[] status() {
            return process.request("status", "STATUS ", Duration.ofSeconds(20)).split(" ");
        }

        /** @return the client address */
        public InetSocketAddress clientAddress() {
            return new InetSocketAddress("127.0.0.1", clientPort);
        }

        /**
         * Reads the replica's applied commands with a client bound to it alone.
         *
         * @return how many times each command was applied
         */
        public Map<String, Integer> dump() {
            try (CohortClient direct = CohortClient.builder().endpoints(List.of(clientAddress())).build()) {
                String text = new String(direct.read("DUMP".getBytes(StandardCharsets.UTF_8),
                        ReadConsistency.LINEARIZABLE), StandardCharsets.UTF_8);
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

    private final String cluster;
    private final Path dir;
    private final List<Slot> slots = new ArrayList<>();

    /**
     * @param cluster the cluster name
     * @param dir     where the processes' output goes
     * @param size    how many slots
     * @param prefix  member names are prefix + 1..size
     * @throws IOException if no free port is found
     */
    public ReplicaProcesses(String cluster, Path dir, int size, String prefix) throws IOException {
        this.cluster = cluster;
        this.dir = dir;
        for (int i = 1; i <= size; i++) {
            slots.add(new Slot(prefix + i));
        }
    }

    /** @return the slots, in order */
    public List<Slot> slots() {
        return slots;
    }

    /** @return every slot's client address */
    public List<InetSocketAddress> clientEndpoints() {
        return slots.stream().map(Slot::clientAddress).toList();
    }

    private String seeds() {
        return slots.stream().map(s -> "127.0.0.1:" + s.groupPort).collect(Collectors.joining(","));
    }

    /** Waits until every given replica's last printed view is exactly the given names. */
    public void awaitView(List<Slot> members) {
        Set<String> names = members.stream().map(s -> s.name).collect(Collectors.toSet());
        await().atMost(WAIT).until(() -> members.stream()
                .allMatch(s -> new HashSet<>(s.lastViewMembers()).equals(names)));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Stops every live process. */
    @Override
    public void close() {
        for (Slot s : slots) {
            if (s.process != null && s.process.isAlive()) {
                s.process.destroy();
            }
        }
    }
}
