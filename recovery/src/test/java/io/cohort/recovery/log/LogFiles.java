package io.cohort.recovery.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import net.openhft.chronicle.core.time.SetTimeProvider;

/** Test support: records with recognisable payloads, a settable clock, and tools to damage cycle files. */
final class LogFiles {

    /** Cycle files are sparse and large; records sit near their start. */
    private static final int SEARCH_WINDOW = 8 << 20;

    private LogFiles() {
    }

    static SetTimeProvider clock() {
        return new SetTimeProvider(Instant.parse("2026-03-01T10:00:00Z"));
    }

    static LogSettings secondly() {
        return new LogSettings(LogRollCycle.TEST_SECONDLY);
    }

    static CommandLog open(Path dir, LogSettings settings, MeterRegistry registry, SetTimeProvider clock) {
        try {
            return CommandLog.open(dir, settings, registry, clock);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static CommandLog openSecondly(Path dir, SetTimeProvider clock) {
        return open(dir, secondly(), new SimpleMeterRegistry(), clock);
    }

    /** A record whose payload contains a marker unique to its sequence. */
    static LogRecord record(long sequence) {
        return new LogRecord(sequence, 3, "replica-" + (sequence % 3), 7, payload(sequence));
    }

    static byte[] payload(long sequence) {
        return ("<payload " + sequence + "> of a command applied to the state machine")
                .getBytes(StandardCharsets.UTF_8);
    }

    static byte[] marker(long sequence) {
        return ("<payload " + sequence + ">").getBytes(StandardCharsets.UTF_8);
    }

    /** Appends {@code from..to} in one cycle. */
    static void append(CommandLog log, long from, long to) {
        for (long s = from; s <= to; s++) {
            log.append(record(s));
        }
    }

    /**
     * Appends {@code cycles} batches of {@code perCycle} records starting at {@code from}, moving the
     * clock one second (one TEST_SECONDLY cycle) after each batch.
     */
    static void appendCycles(CommandLog log, SetTimeProvider clock, long from, int cycles, int perCycle) {
        long s = from;
        for (int c = 0; c < cycles; c++) {
            for (int i = 0; i < perCycle; i++) {
                log.append(record(s++));
            }
            clock.advanceMillis(1000);
        }
    }

    static List<Path> cycleFiles(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(CommandLog.CYCLE_SUFFIX))
                    .sorted(Comparator.comparing(Path::toString))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<LogRecord> readAll(CommandLog log, long from) {
        List<LogRecord> out = new ArrayList<>();
        try (LogReader reader = log.readFrom(from)) {
            reader.forEachRemaining(out::add);
        }
        return out;
    }

    static List<Long> sequences(List<LogRecord> records) {
        return records.stream().map(LogRecord::sequence).toList();
    }

    static List<Long> range(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long s = from; s <= to; s++) {
            out.add(s);
        }
        return out;
    }

    /** File offset of the first occurrence of {@code needle} near the start of {@code file}. */
    static long find(Path file, byte[] needle) {
        byte[] data = head(file);
        outer:
        for (int i = 0; i + needle.length <= data.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (data[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("marker " + new String(needle, StandardCharsets.UTF_8) + " not found in " + file);
    }

    /** The cycle file that holds record {@code sequence}. */
    static Path fileHolding(Path dir, long sequence) {
        for (Path f : cycleFiles(dir)) {
            byte[] data = head(f);
            if (indexOf(data, marker(sequence)) >= 0) {
                return f;
            }
        }
        throw new AssertionError("no cycle file holds record " + sequence);
    }

    private static int indexOf(byte[] data, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= data.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (data[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static byte[] head(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(SEARCH_WINDOW, ch.size()));
            while (buf.hasRemaining() && ch.read(buf, buf.position()) > 0) {
                // keep reading
            }
            return buf.array();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Inverts every bit of the byte at {@code offset}. */
    static void flipByte(Path file, long offset) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, offset);
            one.put(0, (byte) ~one.get(0));
            one.rewind();
            ch.write(one, offset);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void writeAt(Path file, long offset, byte[] bytes) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes), offset);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void truncate(Path file, long length) {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(length);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Copies a queue directory as it is on disk right now (sparse: only the first part of each cycle
     * file holds data), as a crash at this instant would leave it.
     */
    static void snapshot(Path from, Path to) {
        try {
            Files.createDirectories(to);
            try (Stream<Path> files = Files.list(from)) {
                for (Path f : files.toList()) {
                    Path target = to.resolve(f.getFileName());
                    long size = Files.size(f);
                    try (FileChannel in = FileChannel.open(f, StandardOpenOption.READ);
                         FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW,
                                 StandardOpenOption.WRITE)) {
                        long n = Math.min(size, SEARCH_WINDOW);
                        long done = 0;
                        while (done < n) {
                            done += in.transferTo(done, n - done, out);
                        }
                    }
                    truncate(target, size);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteRecursively(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static double corruptionCount(MeterRegistry registry, String kind) {
        var counter = registry.find("cohort.recovery.corruption").tag("file", "log").tag("kind", kind).counter();
        return counter == null ? 0 : counter.count();
    }

    static double totalCorruptions(MeterRegistry registry) {
        return registry.find("cohort.recovery.corruption").counters().stream().mapToDouble(c -> c.count()).sum();
    }

    static void assertRecords(List<LogRecord> actual, long from, long to) {
        assertThat(sequences(actual)).containsExactlyElementsOf(range(from, to));
        for (LogRecord r : actual) {
            assertThat(r).isEqualTo(record(r.sequence()));
        }
    }
}
