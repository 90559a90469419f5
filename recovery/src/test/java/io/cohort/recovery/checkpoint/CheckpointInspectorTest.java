package io.cohort.recovery.checkpoint;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.cohort.recovery.checkpoint.TestCheckpoints.data;
import static io.cohort.recovery.checkpoint.TestCheckpoints.fileNames;
import static io.cohort.recovery.checkpoint.TestCheckpoints.manifest;
import static io.cohort.recovery.checkpoint.TestCheckpoints.write;
import static org.assertj.core.api.Assertions.assertThat;

class CheckpointInspectorTest {

    @TempDir
    Path dir;

    @Test
    void printsEveryCheckpointAndSucceedsWhenTheNewestVerifies() throws IOException {
        CheckpointStore store = CheckpointStore.open(dir, 3, new SimpleMeterRegistry());
        write(store, 1);
        CheckpointManifest newest = store.write(
                new CheckpointMetadata(2, 5, 77, 0xDEADBEEFL, 4, List.of("n1", "n2")), out -> out.write(new byte[10]));

        CheckpointInspector.Report report = CheckpointInspector.run(dir.toString());

        assertThat(report.exitCode()).isZero();
        assertThat(report.text())
                .contains("checkpoint 2: checkpoint-00000000000000000002.json")
                .contains("view 5, applied index 77, state hash 0x00000000deadbeef")
                .contains("size 10 bytes, checksum crc32c " + newest.checksum() + ", created " + newest.createdAt())
                .contains("last view 4: [n1, n2]")
                .contains("checkpoint 1:")
                .contains("2 checkpoint(s); the newest verifies");
        assertThat(report.text().indexOf("checkpoint 2:")).isLessThan(report.text().indexOf("checkpoint 1:"));
    }

    @Test
    void failsWhenTheNewestDoesNotVerifyAndChangesNothing() throws IOException {
        CheckpointStore store = CheckpointStore.open(dir, 3, new SimpleMeterRegistry());
        write(store, 1);
        write(store, 2);
        try (RandomAccessFile raf = new RandomAccessFile(data(dir, 2).toFile(), "rw")) {
            raf.write(0x7f);
        }
        Files.writeString(manifest(dir, 1), "nonsense");
        Files.write(data(dir, 3), new byte[] {1});
        List<String> before = fileNames(dir);

        CheckpointInspector.Report report = CheckpointInspector.inspect(dir);

        assertThat(report.exitCode()).isEqualTo(1);
        assertThat(report.text())
                .contains("INVALID (checkpoint checksum)")
                .contains("INVALID (manifest unparsable)")
                .contains("checkpoint-00000000000000000003.data: data file without manifest")
                .contains("the newest does NOT verify");
        assertThat(fileNames(dir)).isEqualTo(before);
    }

    @Test
    void emptyOrMissingDirectoryFails() {
        assertThat(CheckpointInspector.inspect(dir).exitCode()).isEqualTo(1);
        assertThat(CheckpointInspector.inspect(dir).text()).contains("no checkpoint");
        assertThat(CheckpointInspector.inspect(dir.resolve("absent")).exitCode()).isEqualTo(1);
    }

    @Test
    void usageError() {
        assertThat(CheckpointInspector.run().exitCode()).isEqualTo(2);
        assertThat(CheckpointInspector.run("a", "b").text()).startsWith("usage:");
    }
}
