package io.cohort.recovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cohort.recovery.LocalDurableGroup.Node;
import io.cohort.recovery.LocalDurableGroup.Settings;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

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

    @TempDir
    Path dir;

    /** A command adding 1, carrying a marker that identifies it in the log files. */
    private static byte[] command(long sequence) {
        byte[] marker = marker(sequence);
        return ByteBuffer.allocate(8 + marker.length).putLong(1).put(marker).array();
    }

    private static byte[] marker(long sequence) {
        return String.format("<command-%06d>", sequence).getBytes(StandardCharsets.US_ASCII);
    }

    @ParameterizedTest
    @EnumSource(Damage.class)
    void aDamagedFileIsDetectedAndTheReplicaCatchesUpToExactlyTheGroupsState(Damage damage) throws Exception {
        try (LocalDurableGroup group = new LocalDurableGroup("corruption-test", dir, 3, Settings.every(40))) {
            group.startAll();
            group.submit(group.node(0), BEFORE, DurableReplicaCorruptionTest::command);
            Node victim = group.node(2);
            await().atMost(Duration.ofSeconds(20)).until(() -> victim.read()[0] == BEFORE);
            victim.stop();

            damage(victim.data, damage);
            group.awaitView(group.nodes.subList(0, 2));
            group.submit(group.node(0), WHILE_DOWN, DurableReplicaCorruptionTest::command);

            victim.start();
            group.awaitView(group.nodes);
            group.submit(group.node(1), AFTER, DurableReplicaCorruptionTest::command);

            group.assertAllAt(BEFORE + WHILE_DOWN + AFTER);
            assertThat(victim.corruption(damage.file, damage.kind)).as("corruption detected in " + damage.file)
                    .isGreaterThanOrEqualTo(1);
        }
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
