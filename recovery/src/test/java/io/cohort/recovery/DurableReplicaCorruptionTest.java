package io.cohort.recovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cohort.config.CohortConfig;
import io.cohort.replication.ReadConsistency;
import io.cohort.replication.Replica;
import io.cohort.replication.storage.Durability;
import io.cohort.replication.wire.ClientRequest;
import io.cohort.replication.wire.ClientResponse;
import io.cohort.replication.wire.ResponseStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged files on a replica's disk, found when it restarts: each is detected (a log line and the
 * {@code cohort.recovery.corruption} counter), nothing damaged is applied, and the replica falls
 * back to an older checkpoint or the valid prefix of its log and catches up from its peers, ending
 * with exactly the group's state.
 */
class DurableReplicaCorruptionTest {

    /** What is done to the stopped replica's files. */
    enum Damage {
        /** The newest checkpoint's data has one byte inverted. */
        CHECKPOINT_FLIPPED_BYTE("checkpoint", "checksum"),
        /** The newest checkpoint's data file lost its second half. */
        CHECKPOINT_TRUNCATED("checkpoint", "truncated"),
        /** The newest checkpoint's manifest is gone. */
        MANIFEST_MISSING("manifest", "missing"),
        /** The last log record is half overwritten, as by a write cut short. */
        LOG_TORN_TAIL("log", null),
        /** A record in the middle of the log has one byte inverted. */
        LOG_FLIPPED_BYTE("log", "checksum");

        final String file;
        final String kind;

        Damage(String file, String kind) {
            this.file = file;
            this.kind = kind;
        }
    }

    private static final int BEFORE = 150;
    private static final int WHILE_DOWN = 30;
    private static final int AFTER = 10;

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

        void start() throws IOException {
            registry = new SimpleMeterRegistry();
            CohortConfig config = CohortConfig.builder("corruption-test", name).bindPort(port)
                    .seeds(nodes.stream().map(n -> "127.0.0.1:" + n.port).toArray(String[]::new))
                    .heartbeatIntervalMillis(50).suspectTimeoutMillis(500).bootstrapTimeoutMillis(1000).build();
            DurableStorage storage = DurableStorage.builder(data).durability(Durability.LOG).memberName(name)
                    .checkpointEveryCommands(40).meterRegistry(registry).build();
            replica = Replica.builder(config, new DurableReplicaTest.Sum()).storage(storage).meterRegistry(registry)
                    .build();
            replica.joinAsync();
        }

        double corruption(String file, String kind) {
            var search = registry.find("cohort.recovery.corruption").tag("file", file);
            if (kind != null) {
                search = search.tag("kind", kind);
            }
            return search.counters().stream().mapToDouble(c -> c.count()).sum();
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

    /** A command adding 1, carrying a marker that identifies it in the log files. */
    private static byte[] command(long sequence) {
        byte[] marker = marker(sequence);
        return ByteBuffer.allocate(8 + marker.length).putLong(1).put(marker).array();
    }

    private static byte[] marker(long sequence) {
        return String.format("<command-%06d>", sequence).getBytes(StandardCharsets.US_ASCII);
    }

    private void submit(Node at, int count) throws Exception {
        for (int i = 0; i < count; i++) {
            long seq = nextSequence++;
            ClientResponse r = at.replica.handle(new ClientRequest(ClientRequest.Kind.COMMAND, 7, seq, seq,
                    ReadConsistency.LINEARIZABLE, command(seq))).get(20, TimeUnit.SECONDS);
            assertThat(r.status()).as("command " + seq).isEqualTo(ResponseStatus.OK);
        }
    }

    @ParameterizedTest
    @EnumSource(Damage.class)
    void aDamagedFileIsDetectedAndTheReplicaCatchesUpToExactlyTheGroupsState(Damage damage) throws Exception {
        for (int i = 1; i <= 3; i++) {
            nodes.add(new Node("n" + i));
        }
        for (Node n : nodes) {
            n.start();
        }
        awaitView(nodes);
        submit(nodes.get(0), BEFORE);
        Node victim = nodes.get(2);
        await().atMost(Duration.ofSeconds(20)).until(() -> victim.read()[0] == BEFORE);
        victim.replica.close();
        victim.replica = null;

        damage(victim.data, damage);
        awaitView(nodes.subList(0, 2));
        submit(nodes.get(0), WHILE_DOWN);

        victim.start();
        awaitView(nodes);
        submit(nodes.get(1), AFTER);

        long total = BEFORE + WHILE_DOWN + AFTER;
        for (Node n : nodes) {
            await().atMost(Duration.ofSeconds(20)).until(() -> n.read()[0] == total);
            assertThat(n.read()[1]).as("commands applied at " + n.name).isEqualTo(total);
        }
        Set<Long> hashes = new HashSet<>();
        for (Node n : nodes) {
            hashes.add(n.replica.stateHash().get(10, TimeUnit.SECONDS).hash());
        }
        assertThat(hashes).as("state hashes").hasSize(1);
        assertThat(victim.corruption(damage.file, damage.kind)).as("corruption detected in " + damage.file)
                .isGreaterThanOrEqualTo(1);
    }

    private static void damage(Path data, Damage damage) throws IOException {
        switch (damage) {
            case CHECKPOINT_FLIPPED_BYTE -> {
                Path file = newestCheckpoint(data, ".data");
                flipByte(file, Files.size(file) / 2);
            }
            case CHECKPOINT_TRUNCATED -> {
                Path file = newestCheckpoint(data, ".data");
                truncate(file, Files.size(file) / 2);
            }
            case MANIFEST_MISSING -> Files.delete(newestCheckpoint(data, ".json"));
            case LOG_TORN_TAIL -> {
                // Overwrite the last record from its marker on, as a write cut short would leave it.
                Location at = find(data.resolve("log"), marker(BEFORE));
                writeAt(at.file(), at.offset(), new byte[] {0, 0, 0, 0, 0, 0, 0, 0});
            }
            case LOG_FLIPPED_BYTE -> {
                Location at = find(data.resolve("log"), marker(BEFORE - 20));
                flipByte(at.file(), at.offset() + 3);
            }
        }
    }

    private static Path newestCheckpoint(Path data, String suffix) throws IOException {
        try (Stream<Path> files = Files.list(data.resolve("checkpoints"))) {
            return files.filter(p -> p.getFileName().toString().endsWith(suffix)).max(Path::compareTo)
                    .orElseThrow(() -> new AssertionError("no checkpoint " + suffix + " file in " + data));
        }
    }

    private record Location(Path file, long offset) {
    }

    /** Where {@code needle} first occurs in the log's cycle files (records sit near each file's start). */
    private static Location find(Path logDir, byte[] needle) throws IOException {
        List<Path> cycles;
        try (Stream<Path> files = Files.list(logDir)) {
            cycles = files.filter(p -> p.getFileName().toString().endsWith(".cq4")).sorted().toList();
        }
        for (Path file : cycles) {
            byte[] head;
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
                head = new byte[(int) Math.min(raf.length(), 8 << 20)];
                raf.readFully(head);
            }
            outer:
            for (int i = 0; i + needle.length <= head.length; i++) {
                for (int j = 0; j < needle.length; j++) {
                    if (head[i + j] != needle[j]) {
                        continue outer;
                    }
                }
                return new Location(file, i);
            }
        }
        throw new AssertionError("marker " + new String(needle, StandardCharsets.US_ASCII) + " not in " + cycles);
    }

    private static void flipByte(Path file, long offset) {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(offset);
            int b = raf.read();
            raf.seek(offset);
            raf.write(~b & 0xff);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeAt(Path file, long offset, byte[] bytes) {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(offset);
            raf.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void truncate(Path file, long length) {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(length);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
