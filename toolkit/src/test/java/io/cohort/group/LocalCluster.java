package io.cohort.group;

import io.cohort.api.Message;
import io.cohort.api.View;
import io.cohort.config.CohortConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;

/** Members of one group running in this JVM on loopback, for tests of the runtime. */
final class LocalCluster implements AutoCloseable {

    /** One member: its group, meters, and what it delivered. */
    static final class Node {
        final String name;
        final int port;
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        final List<Message> delivered = new CopyOnWriteArrayList<>();
        final List<View> views = new CopyOnWriteArrayList<>();
        volatile long counter;
        Group group;

        Node(String name, int port) {
            this.name = name;
            this.port = port;
        }

        double count(String meter) {
            return registry.find(meter).counters().stream().mapToDouble(c -> c.count()).sum();
        }
    }

    final String cluster;
    final List<Node> nodes = new ArrayList<>();
    private final List<String> seeds = new ArrayList<>();

    LocalCluster(String cluster, int seedCount) throws IOException {
        this.cluster = cluster;
        for (int i = 0; i < seedCount; i++) {
            int port = freePort();
            seeds.add("127.0.0.1:" + port);
            nodes.add(new Node("n" + (i + 1), port));
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    Node addNode() throws IOException {
        Node n = new Node("n" + (nodes.size() + 1), freePort());
        nodes.add(n);
        return n;
    }

    CohortConfig config(Node n) {
        return CohortConfig.builder(cluster, n.name).bindPort(n.port).seeds(seeds.toArray(String[]::new))
                .heartbeatIntervalMillis(50).suspectTimeoutMillis(500).bootstrapTimeoutMillis(1000).build();
    }

    /** Builds the member: it counts the payloads of TOTAL messages as increments, and transfers that count. */
    Node start(Node n) {
        n.group = Group.builder(config(n)).meterRegistry(n.registry)
                .listener(new GroupListener() {
                    @Override
                    public void onDelivery(Message m) {
                        n.delivered.add(m);
                        n.counter += m.payload().length;
                    }

                    @Override
                    public void onView(View v) {
                        n.views.add(v);
                    }
                })
                .stateTransfer(out -> new DataOutputStream(out).writeLong(n.counter),
                        in -> n.counter = new DataInputStream(in).readLong())
                .build();
        n.group.joinAsync();
        return n;
    }

    void startAll() {
        nodes.forEach(this::start);
    }

    /** Waits until every running member's view holds exactly the running members. */
    void awaitOneView(List<Node> members) {
        await().atMost(Duration.ofSeconds(30)).until(() -> members.stream().allMatch(n -> {
            View v = n.group.view();
            return v != null && v.size() == members.size()
                    && members.stream().allMatch(m -> v.members().contains(m.group.self()));
        }));
    }

    @Override
    public void close() {
        for (Node n : nodes) {
            if (n.group != null) {
                n.group.close();
            }
        }
    }
}
