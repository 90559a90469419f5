package io.cohort.recovery.checkpoint;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.cohort.recovery.checkpoint.TestCheckpoints.corruption;
import static io.cohort.recovery.checkpoint.TestCheckpoints.data;
import static io.cohort.recovery.checkpoint.TestCheckpoints.fileNames;
import static io.cohort.recovery.checkpoint.TestCheckpoints.manifest;
import static io.cohort.recovery.checkpoint.TestCheckpoints.readAll;
import static io.cohort.recovery.checkpoint.TestCheckpoints.state;
import static io.cohort.recovery.checkpoint.TestCheckpoints.totalCorruption;
import static io.cohort.recovery.checkpoint.TestCheckpoints.write;
import static org.assertj.core.api.Assertions.assertThat;

/** Damaged checkpoint directories: {@link CheckpointStore#newestValid()} falls back, counts and moves aside. */
class CheckpointCorruptionTest {

    @TempDir
    Path dir;

    private SimpleMeterRegistry registry;
    private CheckpointStore store;

    @BeforeEach
    void setUp() throws IOException {
        registry = new SimpleMeterRegistry();
        store = CheckpointStore.open(dir, 3, registry);
        write(store, 1);
        write(store, 2);
    }

    private void assertFallsBackTo(long sequence) throws IOException {
        Checkpoint checkpoint = store.newestValid().orElseThrow();
        assertThat(checkpoint.manifest().sequence()).isEqualTo(sequence);
        assertThat(readAll(checkpoint)).isEqualTo(state(sequence));
    }

    private static void flipByte(Path file, long position) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(position);
            int b = raf.read();
            raf.seek(position);
            raf.write(b ^ 0x40);
        }
    }

    private static String corrupt(Path file) {
        return file.getFileName() + ".corrupt";
    }

    @Test
    void flippedByteFallsBackAndMovesBothFilesAside() throws IOException {
        flipByte(data(dir, 2), 5);

        assertFallsBackTo(1);

        assertThat(corruption(registry, "checkpoint", "checksum")).isEqualTo(1);
        assertThat(totalCorruption(registry)).isEqualTo(1);
        assertThat(fileNames(dir)).containsExactly(
                "checkpoint-00000000000000000001.data", "checkpoint-00000000000000000001.json",
                corrupt(data(dir, 2)), corrupt(manifest(dir, 2)));
        assertThat(registry.get("cohort.recovery.checkpoint.verify.duration").timer().count()).isEqualTo(2);

        // Moved aside: a second restart neither sees nor counts it again.
        assertFallsBackTo(1);
        assertThat(totalCorruption(registry)).isEqualTo(1);
    }

    @Test
    void truncatedDataFile() throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(data(dir, 2).toFile(), "rw")) {
            raf.setLength(raf.length() - 1);
        }

        assertFallsBackTo(1);

        assertThat(corruption(registry, "checkpoint", "truncated")).isEqualTo(1);
        assertThat(totalCorruption(registry)).isEqualTo(1);
        assertThat(dir.resolve(corrupt(data(dir, 2)))).exists();
        assertThat(dir.resolve(corrupt(manifest(dir, 2)))).exists();
    }

    @Test
    void dataFileLongerThanRecordedCountsAsChecksum() throws IOException {
        Files.write(data(dir, 2), new byte[] {0}, java.nio.file.StandardOpenOption.APPEND);

        assertFallsBackTo(1);

        assertThat(corruption(registry, "checkpoint", "checksum")).isEqualTo(1);
    }

    @Test
    void missingDataFile() throws IOException {
        Files.delete(data(dir, 2));

        assertFallsBackTo(1);

        assertThat(corruption(registry, "checkpoint", "missing")).isEqualTo(1);
        assertThat(fileNames(dir)).contains(corrupt(manifest(dir, 2))).doesNotContain(manifest(dir, 2).getFileName().toString());
    }

    @Test
    void missingManifestMakesTheDataFileAnOrphan() throws IOException {
        Files.delete(manifest(dir, 2));

        assertFallsBackTo(1);

        assertThat(corruption(registry, "manifest", "missing")).isEqualTo(1);
        assertThat(totalCorruption(registry)).isEqualTo(1);
        assertThat(fileNames(dir)).containsExactly(
                "checkpoint-00000000000000000001.data", "checkpoint-00000000000000000001.json",
                corrupt(data(dir, 2)));
    }

    @Test
    void garbageManifest() throws IOException {
        Files.writeString(manifest(dir, 2), "{ this is not json");

        assertFallsBackTo(1);

        assertThat(corruption(registry, "manifest", "unparsable")).isEqualTo(1);
        assertThat(totalCorruption(registry)).isEqualTo(1);
        // The data file goes too: without a trusted manifest it would only come back as an orphan.
        assertThat(fileNames(dir)).contains(corrupt(manifest(dir, 2)), corrupt(data(dir, 2)));
    }

    @Test
    void emptyOrIncompleteManifestIsUnparsable() throws IOException {
        write(store, 3);
        Files.writeString(manifest(dir, 3), "");
        Files.writeString(manifest(dir, 2), Files.readString(manifest(dir, 2)).replaceAll("\"checksum\"[^,]*,", ""));

        assertFallsBackTo(1);

        assertThat(corruption(registry, "manifest", "unparsable")).isEqualTo(2);
    }

    @Test
    void manifestWhoseSequenceDisagreesWithItsNameIsUnparsable() throws IOException {
        // The manifest of 1 copied over that of 2: it describes another checkpoint.
        Files.copy(manifest(dir, 1), manifest(dir, 2), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        assertFallsBackTo(1);

        assertThat(corruption(registry, "manifest", "unparsable")).isEqualTo(1);
    }

    @Test
    void manifestOfUnknownFormatVersionIsUnparsable() throws IOException {
        Files.writeString(manifest(dir, 2), Files.readString(manifest(dir, 2))
                .replace("\"formatVersion\" : 1", "\"formatVersion\" : 99"));

        assertFallsBackTo(1);

        assertThat(corruption(registry, "manifest", "unparsable")).isEqualTo(1);
    }

    @Test
    void manifestNamingAnotherDataFileIsUnparsable() throws IOException {
        Files.writeString(manifest(dir, 2), Files.readString(manifest(dir, 2))
                .replace("checkpoint-00000000000000000002.data", "../../etc/passwd"));

        assertFallsBackTo(1);

        assertThat(corruption(registry, "manifest", "unparsable")).isEqualTo(1);
    }

    @Test
    void allCheckpointsBadLeavesNothing() throws IOException {
        write(store, 3);
        Files.delete(manifest(dir, 3));
        flipByte(data(dir, 2), 0);
        Files.writeString(manifest(dir, 1), "[]");

        assertThat(store.newestValid()).isEmpty();

        assertThat(corruption(registry, "manifest", "missing")).isEqualTo(1);
        assertThat(corruption(registry, "checkpoint", "checksum")).isEqualTo(1);
        assertThat(corruption(registry, "manifest", "unparsable")).isEqualTo(1);
        assertThat(totalCorruption(registry)).isEqualTo(3);
        assertThat(fileNames(dir)).allMatch(name -> name.endsWith(".corrupt")).hasSize(5);
        assertThat(store.manifests()).isEmpty();

        // The replica can checkpoint again, even at a sequence that was moved aside.
        write(store, 2);
        assertFallsBackTo(2);
    }

    @Test
    void aSecondCorruptionOfTheSameFileKeepsTheFirstEvidence() throws IOException {
        flipByte(data(dir, 2), 1);
        assertFallsBackTo(1);
        write(store, 2);
        flipByte(data(dir, 2), 2);

        assertFallsBackTo(1);

        assertThat(corruption(registry, "checkpoint", "checksum")).isEqualTo(2);
        assertThat(fileNames(dir)).contains(corrupt(data(dir, 2)), "checkpoint-00000000000000000002.data.2.corrupt");
    }

    @Test
    void olderCheckpointsAreNotVerifiedOnceOneIsValid() throws IOException {
        flipByte(data(dir, 1), 0);

        assertFallsBackTo(2);

        assertThat(totalCorruption(registry)).isZero();
        assertThat(data(dir, 1)).exists();
    }
}
