package io.cohort.recovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cohort.api.CommandContext;
import io.cohort.api.StateMachine;
import io.cohort.config.CohortConfig;
import io.cohort.recovery.log.LogRollCycle;
import io.cohort.replication.ReadConsistency;
import io.cohort.replication.Replica;
import io.cohort.replication.ReplicationMode;
import io.cohort.replication.storage.Durability;
import io.cohort.replication.wire.ClientRequest;
import io.cohort.replication.wire.ClientResponse;
import io.cohort.replication.wire.ResponseStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import java.util.stream.Collectors;

/**
 * Durable replicas of a {@link Sum} in this JVM over real TCP, for tests: start, stop (a clean
 * leave) and restart each on its own data directory, submit commands, compare states.
 */
final class LocalDurableGroup implements AutoCloseable {

    /**
     * How each replica is built.
     *
     * @param checkpointEvery checkpoint period in commands
     * @param rollCycle       log roll cycle
     * @param mode            replication mode (non-active modes use the request itself as the update)
     * @param durability      LOG or SYNC
     */
    record Settings(long checkpointEvery, LogRollCycle rollCycle, ReplicationMode mode, Durability durability) {
        static Settings every(long checkpointEvery) {
            return new Settings(checkpointEvery, LogRollCycle.HOURLY, ReplicationMode.ACTIVE, Durability.LOG);
        }
    }

    /** A counter: each command adds its first 8 bytes; the result and queries give (total, commands). */
    static final class Sum implements StateMachine {
        private long total;
        private long commands;

        @Override
        public byte[] apply(CommandContext context, byte[] command) {
            total += ByteBuffer.wrap(command).getLong();
            commands++;
            return query(command);
        }

        @Override
        public byte[] query(byte[] query) {
            return ByteBuffer.allocate(16).putLong(total).putLong(commands).array();
        }

        @Override
        public void writeSnapshot(OutputStream out) throws IOException {
            DataOutputStream d = new DataOutputStream(out);
            d.writeLong(total);
            d.writeLong(commands);
            d.flush();
        }

        @Override
        public void restoreSnapshot(InputStream in) throws IOException {
            DataInputStream d = new DataInputStream(in);
            total = d.readLong();
            commands = d.readLong();
        }
    }

    /** One replica slot: fixed name, port and data directory across restarts. */
    final class Node {
        final String name;
        final int port;
        final Path data;
        SimpleMeterRegistry registry;
        Replica replica;

        private Node(String name) throws IOException {
            this.name = name;
            try (ServerSocket s = new ServerSocket(0)) {
                this.port = s.getLocalPort();
            }
            this.data = dir.resolve(name);
        }

        void start() throws IOException {
            registry = new SimpleMeterRegistry();
            CohortConfig config = CohortConfig.builder(cluster, name).bindPort(port)
                    .seeds(nodes.stream().map(n -> "127.0.0.1:" + n.port).toArray(String[]::new))
                    .heartbeatIntervalMillis(50).suspectTimeoutMillis(500).bootstrapTimeoutMillis(1000).build();
            DurableStorage storage = DurableStorage.builder(data).durability(settings.durability()).memberName(name)
                    .checkpointEveryCommands(settings.checkpointEvery()).rollCycle(settings.rollCycle())
                    .meterRegistry(registry).build();
            Replica.Builder builder = Replica.builder(config, new Sum()).mode(settings.mode()).storage(storage)
                    .meterRegistry(registry);
            if (settings.mode() != ReplicationMode.ACTIVE) {
                builder.requestExecutor((context, request) -> request);
            }
            replica = builder.build();
            replica.joinAsync();
        }

        /** Leaves the group cleanly and closes the storage. */
        void stop() {
            replica.close();
            replica = null;
        }

        /** @return (total, commands applied), by a linearizable read */
        long[] read() throws Exception {
            ClientResponse r = replica.handle(new ClientRequest(ClientRequest.Kind.QUERY, 999, 1, 1,
                    ReadConsistency.LINEARIZABLE, new byte[0])).get(20, TimeUnit.SECONDS);
            assertThat(r.status()).isEqualTo(ResponseStatus.OK);
            ByteBuffer b = ByteBuffer.wrap(r.payload());
            return new long[] {b.getLong(), b.getLong()};
        }

        /** @return how often this replica caught up, as a joiner, in this way (suffix, snapshot, live) */
        long catchUps(String kind) {
            return (long) registry.find("cohort.recovery.catchup").tag("role", "joiner").tag("kind", kind).counters()
                    .stream().mapToDouble(c -> c.count()).sum();
        }

        /** @return corrupt files found in {@code file}, of {@code kind} (any kind if null) */
        double corruption(String file, String kind) {
            var search = registry.find("cohort.recovery.corruption").tag("file", file);
            if (kind != null) {
                search = search.tag("kind", kind);
            }
            return search.counters().stream().mapToDouble(c -> c.count()).sum();
        }

        boolean isCoordinator() {
            return replica.view().coordinator().equals(replica.self());
        }
    }

    private final String cluster;
    private final Path dir;
    private final Settings settings;
    final List<Node> nodes = new ArrayList<>();
    private long nextSequence = 1;

    LocalDurableGroup(String cluster, Path dir, int size, Settings settings) throws IOException {
        this.cluster = cluster;
        this.dir = dir;
        this.settings = settings;
        for (int i = 1; i <= size; i++) {
            nodes.add(new Node("n" + i));
        }
    }

    Node node(int index) {
        return nodes.get(index);
    }

    void startAll() throws IOException {
        for (Node n : nodes) {
            n.start();
        }
        awaitView(nodes);
    }

    void awaitView(List<Node> members) {
        Set<String> names = members.stream().map(n -> n.name).collect(Collectors.toSet());
        await().atMost(Duration.ofSeconds(30)).until(() -> members.stream().allMatch(n -> n.replica.view() != null
                && n.replica.view().members().stream().map(m -> m.name()).collect(Collectors.toSet()).equals(names)));
    }

    /** Submits {@code count} commands of value 1 through {@code at}, one client, each acknowledged OK. */
    void submit(Node at, int count) throws Exception {
        submit(at, count, seq -> ByteBuffer.allocate(8).putLong(1).array());
    }

    /** As {@link #submit(Node, int)}, with the command bytes for each client sequence (first 8: the value added). */
    void submit(Node at, int count, LongFunction<byte[]> commandOf) throws Exception {
        for (int i = 0; i < count; i++) {
            long seq = nextSequence++;
            ClientResponse r = at.replica.handle(new ClientRequest(ClientRequest.Kind.COMMAND, 7, seq, seq,
                    ReadConsistency.LINEARIZABLE, commandOf.apply(seq))).get(20, TimeUnit.SECONDS);
            assertThat(r.status()).as("command " + seq).isEqualTo(ResponseStatus.OK);
        }
    }

    /** Every replica reaches {@code total} with {@code total} commands applied, and their state hashes agree. */
    void assertAllAt(long total) throws Exception {
        for (Node n : nodes) {
            await().atMost(Duration.ofSeconds(20)).until(() -> n.read()[0] == total);
            assertThat(n.read()[1]).as("commands applied at " + n.name).isEqualTo(total);
        }
        Set<Long> hashes = new HashSet<>();
        for (Node n : nodes) {
            hashes.add(n.replica.stateHash().get(10, TimeUnit.SECONDS).hash());
        }
        assertThat(hashes).as("state hashes").hasSize(1);
    }

    @Override
    public void close() {
        for (Node n : nodes) {
            if (n.replica != null) {
                n.stop();
            }
        }
    }
}
