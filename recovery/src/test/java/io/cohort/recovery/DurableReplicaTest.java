package io.cohort.recovery;

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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
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
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Durable replicas in one JVM over real TCP: a replica restarted on its data directory restores its
 * checkpoint and log and catches up with only the suffix it missed; one whose position the peers
 * no longer hold gets a checkpoint from a peer's disk; all replicas closed and restarted resume
 * from their disks without losing or repeating a command.
 */
class DurableReplicaTest {

    /** A counter: each command adds its 8-byte value; the result is the new total. */
    static final class Sum implements StateMachine {
        private long total;
        private long commands;

        @Override
        public byte[] apply(CommandContext context, byte[] command) {
            total += ByteBuffer.wrap(command).getLong();
            commands++;
            return ByteBuffer.allocate(16).putLong(total).putLong(commands).array();
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

    private final class Node {
        final String name;
        final int port;
        final Path data;
        SimpleMeterRegistry registry;
        Replica replica;

        Node(String name) throws IOException {
            this.name = name;
            try (ServerSocket s = new ServerSocket(0)) {
                this.port = s.getLocalPort();
            }
            this.data = dir.resolve(name);
        }

        void start(long checkpointEvery, LogRollCycle cycle) throws IOException {
            start(checkpointEvery, cycle, ReplicationMode.ACTIVE, Durability.LOG);
        }

        void start(long checkpointEvery, LogRollCycle cycle, ReplicationMode mode, Durability durability)
                throws IOException {
            registry = new SimpleMeterRegistry();
            CohortConfig config = CohortConfig.builder("durable-test", name).bindPort(port)
                    .seeds(nodes.stream().map(n -> "127.0.0.1:" + n.port).toArray(String[]::new))
                    .heartbeatIntervalMillis(50).suspectTimeoutMillis(500).bootstrapTimeoutMillis(1000).build();
            DurableStorage storage = DurableStorage.builder(data).durability(durability).memberName(name)
                    .checkpointEveryCommands(checkpointEvery).rollCycle(cycle).meterRegistry(registry).build();
            Replica.Builder builder = Replica.builder(config, new Sum()).mode(mode).storage(storage)
                    .meterRegistry(registry);
            if (mode != ReplicationMode.ACTIVE) {
                // The update is the request itself: every replica adds the same value.
                builder.requestExecutor((context, request) -> request);
            }
            replica = builder.build();
            replica.joinAsync();
        }

        long catchUps(String kind) {
            return (long) registry.find("cohort.recovery.catchup").tag("role", "joiner").tag("kind", kind).counters()
                    .stream().mapToDouble(c -> c.count()).sum();
        }

        long[] read() throws Exception {
            ClientResponse r = replica.handle(new ClientRequest(ClientRequest.Kind.QUERY, 999, 1, 1,
                    ReadConsistency.LINEARIZABLE, new byte[0])).get(20, TimeUnit.SECONDS);
            assertThat(r.status()).isEqualTo(ResponseStatus.OK);
            ByteBuffer b = ByteBuffer.wrap(r.payload());
            return new long[] {b.getLong(), b.getLong()};
        }
    }

    @TempDir
    Path dir;
    private final List<Node> nodes = new ArrayList<>();
    private long nextSequence = 1;

    @AfterEach
    void closeAll() {
        for (Node n : nodes) {
            if (n.replica != null) {
                n.replica.close();
            }
        }
    }

    private void awaitView(List<Node> members) {
        Set<String> names = members.stream().map(n -> n.name).collect(Collectors.toSet());
        await().atMost(Duration.ofSeconds(30)).until(() -> members.stream().allMatch(n -> n.replica.view() != null
                && n.replica.view().members().stream().map(m -> m.name()).collect(Collectors.toSet()).equals(names)));
    }

    /** Submits {@code count} commands of value 1 through {@code at}, one client, all acknowledged. */
    private void submit(Node at, int count) throws Exception {
        for (int i = 0; i < count; i++) {
            long seq = nextSequence++;
            ClientResponse r = at.replica.handle(new ClientRequest(ClientRequest.Kind.COMMAND, 7, seq, seq,
                    ReadConsistency.LINEARIZABLE, ByteBuffer.allocate(8).putLong(1).array())).get(20, TimeUnit.SECONDS);
            assertThat(r.status()).as("command " + seq).isEqualTo(ResponseStatus.OK);
        }
    }

    private void startThree(long checkpointEvery, LogRollCycle cycle) throws IOException {
        startThree(checkpointEvery, cycle, ReplicationMode.ACTIVE, Durability.LOG);
    }

    private void startThree(long checkpointEvery, LogRollCycle cycle, ReplicationMode mode, Durability durability)
            throws IOException {
        for (int i = 1; i <= 3; i++) {
            nodes.add(new Node("n" + i));
        }
        for (Node n : nodes) {
            n.start(checkpointEvery, cycle, mode, durability);
        }
        awaitView(nodes);
    }

    private void assertAllAt(long total) throws Exception {
        for (Node n : nodes) {
            await().atMost(Duration.ofSeconds(20)).until(() -> n.read()[0] == total);
        }
        Set<Long> hashes = new HashSet<>();
        for (Node n : nodes) {
            hashes.add(n.replica.stateHash().get(10, TimeUnit.SECONDS).hash());
        }
        assertThat(hashes).hasSize(1);
    }

    @ParameterizedTest
    @CsvSource({"ACTIVE, LOG", "ACTIVE, SYNC", "PRIMARY_BACKUP, LOG", "COORDINATOR_COHORT, SYNC"})
    void aRestartedReplicaCatchesUpWithTheLogSuffixItMissed(ReplicationMode mode, Durability durability)
            throws Exception {
        startThree(50, LogRollCycle.HOURLY, mode, durability);
        submit(nodes.get(0), 120);
        // Not the coordinator: a primary that leaves with updates in flight is sent a whole state.
        Node victim = nodes.stream().filter(n -> !n.replica.view().coordinator().equals(n.replica.self()))
                .reduce((a, b) -> b).orElseThrow();
        victim.replica.close();
        victim.replica = null;
        List<Node> rest = nodes.stream().filter(n -> n != victim).toList();
        awaitView(rest);
        submit(rest.get(0), 80);

        victim.start(50, LogRollCycle.HOURLY, mode, durability);
        awaitView(nodes);
        submit(rest.get(1), 10);
        assertAllAt(210);
        assertThat(victim.catchUps("suffix")).isEqualTo(1);
        assertThat(victim.catchUps("snapshot") + victim.catchUps("live")).isZero();
    }

    @Test
    void everyReplicaRestartedFromDiskResumesWithNothingLostOrRepeated() throws Exception {
        startThree(40, LogRollCycle.HOURLY);
        submit(nodes.get(1), 150);
        for (Node n : nodes) {
            n.replica.close();
            n.replica = null;
        }
        for (int i = nodes.size() - 1; i >= 0; i--) {
            nodes.get(i).start(40, LogRollCycle.HOURLY);
        }
        awaitView(nodes);
        for (Node n : nodes) {
            assertThat(n.replica.view().viewId()).as("a restarted group goes on from its last view").isGreaterThan(3);
        }
        submit(nodes.get(2), 25);
        assertAllAt(175);
        for (Node n : nodes) {
            assertThat(n.read()[1]).as("commands applied at " + n.name).isEqualTo(175);
        }
    }
}
