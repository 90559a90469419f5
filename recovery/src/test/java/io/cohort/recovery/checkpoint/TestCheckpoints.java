package io.cohort.recovery.checkpoint;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Shared helpers of the checkpoint tests. */
final class TestCheckpoints {

    private TestCheckpoints() {
    }

    static CheckpointMetadata metadata(long sequence) {
        return new CheckpointMetadata(sequence, 3, sequence + 100, 0xCAFEBABE00L + sequence, 3, List.of("a", "b", "c"));
    }

    static byte[] state(long sequence) {
        return ("state after command " + sequence + " " + "x".repeat((int) (sequence % 7) * 100))
                .getBytes(StandardCharsets.UTF_8);
    }

    /** Writes checkpoint {@code sequence} with content {@link #state(long)}. */
    static CheckpointManifest write(CheckpointStore store, long sequence) throws IOException {
        byte[] state = state(sequence);
        return store.write(metadata(sequence), out -> out.write(state));
    }

    static Path data(Path dir, long sequence) {
        return dir.resolve(CheckpointFiles.dataName(sequence));
    }

    static Path manifest(Path dir, long sequence) {
        return dir.resolve(CheckpointFiles.manifestName(sequence));
    }

    static byte[] readAll(Checkpoint checkpoint) throws IOException {
        try (InputStream in = checkpoint.open()) {
            return in.readAllBytes();
        }
    }

    static List<String> fileNames(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static double corruption(MeterRegistry registry, String file, String kind) {
        Counter counter = registry.find("cohort.recovery.corruption").tags("file", file, "kind", kind).counter();
        return counter == null ? 0 : counter.count();
    }

    static double totalCorruption(MeterRegistry registry) {
        return registry.find("cohort.recovery.corruption").counters().stream().mapToDouble(Counter::count).sum();
    }
}
