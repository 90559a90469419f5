package io.cohort.replication;

import io.cohort.api.RequestExecutor;
import io.cohort.api.StateMachine;
import io.cohort.api.View;
import io.cohort.config.CohortConfig;
import io.cohort.group.LinkFilter;
import io.cohort.replication.core.ReplicaSettings;
import io.cohort.replication.wire.ClientRequest;
import io.cohort.replication.wire.ClientResponse;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.awaitility.Awaitility.await;

/** Replicas of one group in this JVM on loopback, each with a link filter a test can use to partition it. */
final class LocalReplicas implements AutoCloseable {

    /** One replica slot: a name and port that survive restarts of its replica. */
    static final class Slot {
        final String name;
        final int port;
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        /** Names this replica cannot exchange traffic with. */
        final Set<String> blocked = ConcurrentHashMap.newKeySet();
        Replica replica;

        Slot(String name, int port) {
            this.name = name;
            this.port = port;
        }

        double count(String meter, String tagKey, String tagValue) {
            return registry.find(meter).tag(tagKey, tagValue).counters().stream().mapToDouble(c -> c.count()).sum();
        }

        double count(String meter) {
            return registry.find(meter).counters().stream().mapToDouble(c -> c.count()).sum();
        }
    }

    private final String cluster;
    private final ReplicationMode mode;
    private final ReplicaSettings settings;
    final List<Slot> slots = new ArrayList<>();
    private final List<String> seeds = new ArrayList<>();

    LocalReplicas(String cluster, int count, ReplicationMode mode, ReplicaSettings settings) throws IOException {
        this.cluster = cluster;
        this.mode = mode;
        this.settings = settings;
        for (int i = 0; i < count; i++) {
            try (ServerSocket s = new ServerSocket(0)) {
                slots.add(new Slot("r" + (i + 1), s.getLocalPort()));
                seeds.add("127.0.0.1:" + s.getLocalPort());
            }
        }
    }

    Slot slot(int i) {
        return slots.get(i);
    }

    Slot add() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            Slot slot = new Slot("r" + (slots.size() + 1), s.getLocalPort());
            slots.add(slot);
            return slot;
        }
    }

    void start(Slot slot, StateMachine machine, RequestExecutor executor) {
        CohortConfig config = CohortConfig.builder(cluster, slot.name).bindPort(slot.port)
                .seeds(seeds.toArray(String[]::new)).heartbeatIntervalMillis(50).suspectTimeoutMillis(500)
                .bootstrapTimeoutMillis(1000).build();
        LinkFilter filter = peer -> !slot.blocked.contains(peer);
        Replica.Builder b = Replica.builder(config, machine).mode(mode).settings(settings)
                .meterRegistry(slot.registry).linkFilter(filter);
        if (executor != null) {
            b.requestExecutor(executor);
        }
        slot.replica = b.build();
        slot.replica.joinAsync();
    }

    void startAll(Supplier<StateMachine> machines, RequestExecutor executor) {
        for (Slot s : slots) {
            start(s, machines.get(), executor);
        }
    }

    /** Waits until each given replica's view holds exactly the given replicas. */
    void awaitView(List<Slot> members) {
        await().atMost(Duration.ofSeconds(30)).until(() -> members.stream().allMatch(s -> {
            View v = s.replica.view();
            return v != null && v.size() == members.size()
                    && members.stream().allMatch(m -> v.members().contains(m.replica.self()));
        }));
    }

    /** Cuts all traffic between the two sides, both ways. */
    static void partition(List<Slot> side, List<Slot> other) {
        for (Slot a : side) {
            for (Slot b : other) {
                a.blocked.add(b.name);
                b.blocked.add(a.name);
            }
        }
    }

    static void heal(List<Slot> all) {
        all.forEach(s -> s.blocked.clear());
    }

    static ClientResponse call(Replica replica, ClientRequest request) throws Exception {
        return replica.handle(request).get(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        for (Slot s : slots) {
            if (s.replica != null) {
                s.replica.close();
            }
        }
    }
}
