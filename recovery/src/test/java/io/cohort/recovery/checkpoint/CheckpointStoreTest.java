package io.cohort.recovery.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32C;

import static io.cohort.recovery.checkpoint.TestCheckpoints.data;
import static io.cohort.recovery.checkpoint.TestCheckpoints.fileNames;
import static io.cohort.recovery.checkpoint.TestCheckpoints.manifest;
import static io.cohort.recovery.checkpoint.TestCheckpoints.metadata;
import static io.cohort.recovery.checkpoint.TestCheckpoints.readAll;
import static io.cohort.recovery.checkpoint.TestCheckpoints.state;
import static io.cohort.recovery.checkpoint.TestCheckpoints.totalCorruption;
import static io.cohort.recovery.checkpoint.TestCheckpoints.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CheckpointStoreTest {

    @TempDir
    Path dir;

    private SimpleMeterRegistry registry;

    @BeforeEach
    void setUp() {
        registry = new SimpleMeterRegistry();
    }

    @Test
    void writtenCheckpointRoundTrips() throws IOException {
        CheckpointStore store = CheckpointStore.open(dir, 3, registry);
        CheckpointMetadata metadata = new CheckpointMetadata(42, 7, 40, 0xDEADBEEFL, 6, List.of("n1", "n2", "n3"));
        byte[] state = "the replicated state".getBytes();
        CRC32C crc = new CRC32C();
        crc.update(state);

        CheckpointManifest written = store.write(metadata, out -> out.write(state));

        assertThat(written.formatVersion()).isEqualTo(CheckpointManifest.CURRENT_FORMAT_VERSION);
        assertThat(written.metadata()).isEqualTo(metadata);
        assertThat(written.sizeBytes()).isEqualTo(state.length);
        assertThat(written.checksum()).isEqualTo(String.format("%08x", crc.getValue()));
        assertThat(written.dataFile()).isEqualTo("checkpoint-00000000000000000042.data");
        assertThat(Instant.parse(written.createdAt())).isNotNull();
        assertThat(fileNames(dir)).containsExactly("checkpoint-00000000000000000042.data",
                "checkpoint-00000000000000000042.json");

        Checkpoint checkpoint = CheckpointStore.open(dir, 3, registry).newestValid().orElseThrow();
        assertThat(checkpoint.manifest()).isEqualTo(written);
        assertThat(checkpoint.dataFile()).isEqualTo(data(dir, 42));
        assertThat(readAll(checkpoint)).isEqualTo(state);
        assertThat(store.manifests()).containsExactly(written);
        assertThat(totalCorruption(registry)).isZero();
    }

    @Test
    void manifestIsPrettyPrintedJsonWithTheDocumentedFields() throws IOException {
        CheckpointStore store = CheckpointStore.open(dir, 1, registry);
        CheckpointManifest written = write(store, 5);

        String json = Files.readString(manifest(dir, 5));
        assertThat(json).contains("\n");
        JsonNode node = new ObjectMapper().readTree(json);
        List<String> fields = new ArrayList<>();
        node.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).containsExactly("formatVersion", "sequence", "viewId", "appliedIndex", "stateHash",
                "lastViewId", "lastViewMembers", "sizeBytes", "checksum", "createdAt", "dataFile");
        assertThat(node.get("sequence").asLong()).isEqualTo(5);
        assertThat(node.get("stateHash").asLong()).isEqualTo(written.stateHash());
        assertThat(node.get("checksum").asText()).isEqualTo(written.checksum());
        assertThat(node.get("lastViewMembers").toString()).isEqualTo("[\"a\",\"b\",\"c\"]");
        assertThat(node.get("dataFile").asText()).isEqualTo("checkpoint-00000000000000000005.data");
    }

    @Test
    void emptyInitialStateIsACheckpointToo() throws IOException {
        CheckpointStore store = CheckpointStore.open(dir, 2, registry);
        CheckpointManifest written = store.write(new CheckpointMetadata(0, 0, 0, 0, 0, List.of()), out -> { });

        assertThat(written.sizeBytes()).isZero();
        assertThat(written.checksum()).isEqualTo("00000000");
        Checkpoint checkpoint = store.newestValid().orElseThrow();
        assertThat(checkpoint.manifest().sequence()).isZero();
        assertThat(readAll(checkpoint)).isEmpty();
    }

    @Test
    void keepRetainsExactlyTheNewest() throws IOException {
        CheckpointStore store = CheckpointStore.open(dir, 2, registry);
        for (long sequence = 1; sequence <= 5; sequence++) {
            write(store, sequence * 10);
        }

        assertThat(store.manifests()).extracting(CheckpointManifest::sequence).containsExactly(50L, 40L);
        assertThat(fileNames(dir)).containsExactly(
                "checkpoint-00000000000000000040.data", "checkpoint-00000000000000000040.json",
                "checkpoint-00000000000000000050.data", "checkpoint-00000000000000000050.json");
        assertThat(readAll(store.newestValid().orElseThrow())).isEqualTo(state(50));
    }

    @Test
    void keepOneRetainsOnlyTheNewestAndAnOlderWriteIsPrunedAtOnce() throws IOException {
        CheckpointStore store = CheckpointStore.open(dir, 1, registry);
        write(store, 10);
        write(store, 20);
        assertThat(store.manifests()).extracting(CheckpointManifest::sequence).containsExactly(20L);

        write(store, 15);
        assertThat(store.manifests()).extracting(CheckpointManifest::sequence).containsExactly(20L);
        assertThat(fileNames(dir)).hasSize(2);
    }

    @Test
    void retentionFinishesAnInterruptedDeletion() throws IOException {
        CheckpointStore store = CheckpointStore.open(dir, 1, registry);
        write(store, 1);
        // A crash between deleting the manifest and the data file of an old checkpoint.
        Files.delete(manifest(dir, 1));
        write(store, 2);
        write(store, 3);

        assertThat(fileNames(dir)).containsExactly("checkpoint-00000000000000000003.data",
                "checkpoint-00000000000000000003.json");
    }

    @Test
    void writerThatThrowsLeavesNoFilesAndThePreviousCheckpointValid() throws IOException {
        CheckpointStore store = CheckpointStore.open(dir, 2, registry);
        write(store, 1);
        List<String> before = fileNames(dir);
        IOException failure = new IOException("state machine failed");

        assertThatThrownBy(() -> store.write(metadata(2), out -> {
            out.write(new byte[100_000]);
            throw failure;
        })).isSameAs(failure);
        IllegalStateException unchecked = new IllegalStateException("bug");
        assertThatThrownBy(() -> store.write(metadata(2), out -> {
            out.write(1);
            throw unchecked;
        })).isSameAs(unchecked);

        assertThat(fileNames(dir)).isEqualTo(before);
        Checkpoint checkpoint = store.newestValid().orElseThrow();
        assertThat(checkpoint.manifest().sequence()).isEqualTo(1);
        assertThat(readAll(checkpoint)).isEqualTo(state(1));
        assertThat(registry.get("cohort.recovery.checkpoint.written").counter().count()).isEqualTo(1);
    }

    @Test
    void leftoverTempFilesAreDeletedOnOpen() throws IOException {
        CheckpointStore store = CheckpointStore.open(dir, 2, registry);
        write(store, 1);
        Files.write(dir.resolve("checkpoint-00000000000000000002.data.tmp"), new byte[] {1, 2, 3});
        Files.write(dir.resolve("checkpoint-00000000000000000002.json.tmp"), new byte[] {'{'});
        Files.writeString(dir.resolve("notes.tmp"), "not ours");

        CheckpointStore reopened = CheckpointStore.open(dir, 2, registry);

        assertThat(fileNames(dir)).containsExactly("checkpoint-00000000000000000001.data",
                "checkpoint-00000000000000000001.json", "notes.tmp");
        assertThat(reopened.newestValid().orElseThrow().manifest().sequence()).isEqualTo(1);
        assertThat(totalCorruption(registry)).isZero();
    }

    @Test
    void largeStateIsStreamed() throws IOException {
        long size = 64L * 1024 * 1024;
        CheckpointStore store = CheckpointStore.open(dir, 1, registry);

        CheckpointManifest written = store.write(metadata(1), out -> generate(size, out));

        CRC32C expected = new CRC32C();
        generate(size, new OutputStream() {
            @Override
            public void write(int b) {
                expected.update(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                expected.update(b, off, len);
            }
        });
        assertThat(written.sizeBytes()).isEqualTo(size);
        assertThat(written.checksum()).isEqualTo(String.format("%08x", expected.getValue()));
        assertThat(Files.size(data(dir, 1))).isEqualTo(size);

        Checkpoint checkpoint = store.newestValid().orElseThrow();
        CRC32C read = new CRC32C();
        long count = 0;
        try (InputStream in = checkpoint.open()) {
            byte[] buffer = new byte[8192];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                read.update(buffer, 0, n);
                count += n;
            }
        }
        assertThat(count).isEqualTo(size);
        assertThat(read.getValue()).isEqualTo(expected.getValue());
    }

    /** Deterministic bytes, produced in small chunks and single bytes, never all at once. */
    private static void generate(long size, OutputStream out) throws IOException {
        byte[] chunk = new byte[4093];
        long written = 0;
        while (written < size) {
            int n = (int) Math.min(chunk.length, size - written);
            for (int i = 0; i < n; i++) {
                long position = written + i;
                chunk[i] = (byte) (position * 31 + (position >>> 11));
            }
            out.write(chunk, 0, n - 1);
            out.write(chunk[n - 1]);
            written += n;
        }
    }

    @Test
    void writerMayCloseTheStream() throws IOException {
        CheckpointStore store = CheckpointStore.open(dir, 2, registry);

        store.write(metadata(1), out -> {
            out.write(state(1));
            out.close();
        });

        assertThat(readAll(store.newestValid().orElseThrow())).isEqualTo(state(1));
    }

    @Test
    void writerCannotWriteAfterReturning() throws IOException {
        CheckpointStore store = CheckpointStore.open(dir, 2, registry);
        AtomicReference<OutputStream> kept = new AtomicReference<>();

        store.write(metadata(1), out -> {
            kept.set(out);
            out.write(state(1));
        });

        assertThatThrownBy(() -> kept.get().write(1)).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> kept.get().write(new byte[10], 0, 10)).isInstanceOf(IOException.class);
        assertThat(readAll(store.newestValid().orElseThrow())).isEqualTo(state(1));
    }

    @Test
    void aSequenceIsCheckpointedOnce() throws IOException {
        CheckpointStore store = CheckpointStore.open(dir, 2, registry);
        CheckpointManifest first = write(store, 7);
        boolean[] called = {false};

        assertThatThrownBy(() -> store.write(metadata(7), out -> called[0] = true))
                .isInstanceOf(FileAlreadyExistsException.class)
                .hasMessageContaining("checkpoint 7 already exists");

        assertThat(called[0]).isFalse();
        Checkpoint checkpoint = store.newestValid().orElseThrow();
        assertThat(checkpoint.manifest()).isEqualTo(first);
        assertThat(readAll(checkpoint)).isEqualTo(state(7));
    }

    @Test
    void anOrphanDataFileOfTheSameSequenceIsMovedAsideAndTheCheckpointWritten() throws IOException {
        CheckpointStore store = CheckpointStore.open(dir, 2, registry);
        Files.write(data(dir, 4), new byte[] {9, 9, 9});

        write(store, 4);

        assertThat(readAll(store.newestValid().orElseThrow())).isEqualTo(state(4));
        assertThat(dir.resolve("checkpoint-00000000000000000004.data.corrupt")).hasBinaryContent(new byte[] {9, 9, 9});
        assertThat(TestCheckpoints.corruption(registry, "manifest", "missing")).isEqualTo(1);
    }

    @Test
    void openStreamDetectsDataChangedAfterVerification() throws IOException {
        CheckpointStore store = CheckpointStore.open(dir, 2, registry);
        write(store, 3);
        Checkpoint checkpoint = store.newestValid().orElseThrow();
        try (RandomAccessFile file = new RandomAccessFile(checkpoint.dataFile().toFile(), "rw")) {
            file.seek(2);
            file.write(file.read() ^ 0x01);
        }

        try (InputStream in = checkpoint.open()) {
            assertThatThrownBy(in::readAllBytes).isInstanceOf(IOException.class).hasMessageContaining("crc32c");
        }
        try (InputStream in = checkpoint.open()) {
            assertThatThrownBy(() -> in.skip(Long.MAX_VALUE)).isInstanceOf(IOException.class);
        }
    }

    @Test
    void metersRecordWritesAndVerifications() throws IOException {
        CheckpointStore store = CheckpointStore.open(dir, 2, registry);
        write(store, 1);
        write(store, 2);
        store.newestValid();

        assertThat(registry.get("cohort.recovery.checkpoint.written").counter().count()).isEqualTo(2);
        assertThat(registry.get("cohort.recovery.checkpoint.duration").timer().count()).isEqualTo(2);
        assertThat(registry.get("cohort.recovery.checkpoint.size").summary().totalAmount())
                .isEqualTo(state(1).length + state(2).length);
        assertThat(registry.get("cohort.recovery.checkpoint.size").summary().getId().getBaseUnit()).isEqualTo("bytes");
        assertThat(registry.get("cohort.recovery.checkpoint.verify.duration").timer().count()).isEqualTo(1);
    }

    @Test
    void emptyDirectoryHasNoCheckpoint() throws IOException {
        CheckpointStore store = CheckpointStore.open(dir.resolve("not/yet/there"), 1, registry);

        assertThat(store.directory()).isDirectory();
        assertThat(store.newestValid()).isEqualTo(Optional.empty());
        assertThat(store.manifests()).isEmpty();
    }

    @Test
    void argumentsAreValidated() {
        assertThatThrownBy(() -> CheckpointStore.open(dir, 0, registry)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CheckpointMetadata(-1, 0, 0, 0, 0, List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CheckpointManifest(1, 1, 0, 0, 0, 0, List.of(), 0, "XYZ", "", "f"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void manifestsListsNewestFirstWithoutTouchingBadFiles() throws IOException {
        CheckpointStore store = CheckpointStore.open(dir, 5, registry);
        write(store, 1);
        write(store, 3);
        write(store, 2);
        Files.writeString(manifest(dir, 3), "garbage");

        assertThat(store.manifests()).extracting(CheckpointManifest::sequence).containsExactly(2L, 1L);
        assertThat(manifest(dir, 3)).exists();
        assertThat(totalCorruption(registry)).isZero();
    }
}
