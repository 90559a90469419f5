package io.cohort.recovery.log;

import static io.cohort.recovery.log.LogFiles.appendCycles;
import static io.cohort.recovery.log.LogFiles.assertRecords;
import static io.cohort.recovery.log.LogFiles.readAll;
import static io.cohort.recovery.log.LogFiles.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import net.openhft.chronicle.core.time.SetTimeProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandLogTest {

    @TempDir
    Path tmp;

    private Path dir;
    private SetTimeProvider clock;
    private SimpleMeterRegistry registry;
    private ExecutorService executor;

    @BeforeEach
    void setUp() {
        dir = tmp.resolve("log");
        clock = LogFiles.clock();
        registry = new SimpleMeterRegistry();
        executor = Executors.newSingleThreadExecutor();
    }

    @AfterEach
    void tearDown() {
        executor.shutdownNow();
    }

    private CommandLog open() {
        return LogFiles.open(dir, LogFiles.secondly(), registry, clock);
    }

    @Test
    void roundTripIncludingEmptyLargeAndUnicodeRecords() {
        byte[] large = new byte[LogRecord.MAX_PAYLOAD_BYTES];
        new Random(42).nextBytes(large);
        String longName = "é".repeat(127) + "x"; // 255 UTF-8 bytes
        List<LogRecord> records = List.of(
                new LogRecord(1, 0, "a", 1, new byte[0]),
                new LogRecord(2, 5, longName, Long.MAX_VALUE, "ünïcødé ✓".getBytes(StandardCharsets.UTF_8)),
                new LogRecord(3, Long.MAX_VALUE, "replica-2", -1, large),
                new LogRecord(4, 6, "", 0, new byte[] {0}),
                new LogRecord(5, 6, "😀 emoji", 3, new byte[0]));
        try (CommandLog log = open()) {
            records.forEach(log::append);
            log.sync();
            assertThat(readAllRecords(log, 1)).containsExactlyElementsOf(records);
            for (LogRecord r : records) {
                assertThat(log.read(r.sequence())).isEqualTo(r);
            }
            assertThat(log.lastRecord()).isEqualTo(records.get(4));
        }
        try (CommandLog log = open()) {
            assertThat(log.openReport()).isEqualTo(new OpenReport(5, 1, 5, null, null));
            assertThat(readAllRecords(log, 1)).containsExactlyElementsOf(records);
            assertThat(log.read(3).payload()).isEqualTo(large);
            assertThat(log.lastRecord()).isEqualTo(records.get(4));
        }
    }

    @Test
    void recordsAreValidated() {
        assertThatThrownBy(() -> new LogRecord(0, 0, "a", 1, new byte[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LogRecord(1, -1, "a", 1, new byte[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LogRecord(1, 0, null, 1, new byte[0])).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new LogRecord(1, 0, "a", 1, null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new LogRecord(1, 0, "é".repeat(128), 1, new byte[0]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("256 UTF-8 bytes");
        assertThatThrownBy(() -> new LogRecord(1, 0, "a", 1, new byte[LogRecord.MAX_PAYLOAD_BYTES + 1]))
                .isInstanceOf(IllegalArgumentException.class);
        for (String name : List.of("", "abc", "é", "✓", "😀", "\uD800", "a\uDC00b", "😀".repeat(63) + "abc")) {
            assertThat(LogRecord.utf8Length(name)).as(name).isEqualTo(name.getBytes(StandardCharsets.UTF_8).length);
        }
    }

    @Test
    void emptyLogReportsZeroesAndAcceptsAnyFirstSequence() {
        try (CommandLog log = open()) {
            assertThat(log.openReport()).isEqualTo(new OpenReport(0, 0, 0, null, null));
            assertThat(log.firstSequence()).isZero();
            assertThat(log.lastSequence()).isZero();
            assertThat(log.lastRecord()).isNull();
            assertThat(log.read(1)).isNull();
            assertThat(log.directory()).isEqualTo(dir.toAbsolutePath());

            log.append(record(100));
            assertThat(log.firstSequence()).isEqualTo(100);
            assertThat(log.lastSequence()).isEqualTo(100);
            assertThat(log.lastRecord()).isEqualTo(record(100));
        }
    }

    @Test
    void appendRejectsASequenceThatDoesNotFollowTheLast() {
        try (CommandLog log = open()) {
            LogFiles.append(log, 5, 7);
            assertThatThrownBy(() -> log.append(record(7))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("does not follow the last record 7");
            assertThatThrownBy(() -> log.append(record(9))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> log.append(record(1))).isInstanceOf(IllegalArgumentException.class);
            assertThat(log.lastSequence()).isEqualTo(7);
            log.append(record(8));
            assertRecords(readAll(log, 5), 5, 8);
        }
        try (CommandLog log = open()) {
            assertThatThrownBy(() -> log.append(record(8))).isInstanceOf(IllegalArgumentException.class);
            log.append(record(9));
            assertRecords(readAll(log, 5), 5, 9);
        }
    }

    @Test
    void readReturnsNullForRecordsNotHeld() {
        try (CommandLog log = open()) {
            LogFiles.append(log, 3, 5);
            assertThat(log.read(2)).isNull();
            assertThat(log.read(6)).isNull();
            assertThat(log.read(0)).isNull();
            assertThat(log.read(-1)).isNull();
            assertThat(log.read(4)).isEqualTo(record(4));
        }
    }

    @Test
    void readFromAnyPositionAcrossRollCycles() {
        try (CommandLog log = open()) {
            appendCycles(log, clock, 1, 4, 3);
            assertThat(LogFiles.cycleFiles(dir)).hasSize(4);
            assertThat(log.cycleFiles()).containsExactlyElementsOf(LogFiles.cycleFiles(dir));
            for (long s = 1; s <= 12; s++) {
                assertRecords(readAll(log, s), s, 12);
                assertThat(log.read(s)).isEqualTo(record(s));
            }
            assertThat(readAll(log, 13)).isEmpty();
            assertThat(readAll(log, 50)).isEmpty();
        }
        // After a reopen the sequence-to-position table is rebuilt from the files.
        try (CommandLog log = open()) {
            assertThat(log.openReport()).isEqualTo(new OpenReport(12, 1, 12, null, null));
            for (long s = 1; s <= 12; s++) {
                assertRecords(readAll(log, s), s, 12);
                assertThat(log.read(s)).isEqualTo(record(s));
            }
        }
    }

    @Test
    void reopenAfterCloseKeepsEverythingAndAppendsContinue() {
        try (CommandLog log = open()) {
            appendCycles(log, clock, 1, 3, 4);
        }
        try (CommandLog log = open()) {
            assertThat(log.openReport().clean()).isTrue();
            assertThat(log.firstSequence()).isEqualTo(1);
            assertThat(log.lastSequence()).isEqualTo(12);
            assertThat(log.lastRecord()).isEqualTo(record(12));
            LogFiles.append(log, 13, 15); // the clock is in a fourth cycle now
            clock.advanceMillis(1000);
            LogFiles.append(log, 16, 16);
        }
        try (CommandLog log = open()) {
            assertThat(log.openReport()).isEqualTo(new OpenReport(16, 1, 16, null, null));
            assertRecords(readAll(log, 1), 1, 16);
            assertThat(LogFiles.cycleFiles(dir)).hasSize(5);
            LogFiles.append(log, 17, 17); // same cycle as 16: no new file
            assertThat(LogFiles.cycleFiles(dir)).hasSize(5);
        }
        try (CommandLog log = open()) {
            assertRecords(readAll(log, 1), 1, 17);
        }
    }

    @Test
    void readerSeesRecordsAppendedAfterItWasCreated() {
        try (CommandLog log = open()) {
            LogFiles.append(log, 1, 2);
            try (LogReader reader = log.readFrom(2); LogReader ahead = log.readFrom(4)) {
                assertThat(reader.next()).isEqualTo(record(2));
                assertThat(reader.hasNext()).isFalse();
                assertThatThrownBy(reader::next).isInstanceOf(NoSuchElementException.class);
                assertThat(ahead.hasNext()).isFalse();

                log.append(record(3));
                assertThat(reader.next()).isEqualTo(record(3));
                assertThat(ahead.hasNext()).isFalse();
                clock.advanceMillis(1000); // the next records go to a new cycle file
                LogFiles.append(log, 4, 5);
                assertThat(reader.next()).isEqualTo(record(4));
                assertThat(ahead.next()).isEqualTo(record(4));
                assertThat(ahead.next()).isEqualTo(record(5));
                assertThat(reader.next()).isEqualTo(record(5));
                assertThat(reader.hasNext()).isFalse();
            }
        }
    }

    @Test
    void readerOfAnEmptyLogStartsAtTheFirstRecordAppended() {
        try (CommandLog log = open(); LogReader reader = log.readFrom(1); LogReader later = log.readFrom(8)) {
            assertThat(reader.hasNext()).isFalse();
            LogFiles.append(log, 5, 9);
            assertRecords(drain(reader), 5, 9);
            assertRecords(drain(later), 8, 9);
        }
    }

    @Test
    void readFromRejectsSequencesBelowOne() {
        try (CommandLog log = open()) {
            assertThatThrownBy(() -> log.readFrom(0)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void readerOnAnotherThreadFollowsTheWriterAcrossCycles() throws Exception {
        int total = 2_000;
        try (CommandLog log = open()) {
            log.append(record(1));
            CompletableFuture<List<LogRecord>> read = CompletableFuture.supplyAsync(() -> {
                List<LogRecord> out = new ArrayList<>();
                try (LogReader reader = log.readFrom(1)) {
                    while (out.size() < total) {
                        if (reader.hasNext()) {
                            out.add(reader.next());
                        } else {
                            Thread.onSpinWait();
                        }
                    }
                }
                return out;
            }, executor);
            for (long s = 2; s <= total; s++) {
                log.append(record(s));
                if (s % 400 == 0) {
                    clock.advanceMillis(1000);
                    log.sync();
                }
            }
            assertRecords(read.get(60, TimeUnit.SECONDS), 1, total);
            assertThat(log.cycleFiles()).hasSize(5);
        }
    }

    @Test
    void writerThreadCanBeHandedOver() throws Exception {
        try (CommandLog log = open()) {
            LogFiles.append(log, 1, 3);
            executor.submit(() -> {
                LogFiles.append(log, 4, 6);
                log.sync();
            }).get(30, TimeUnit.SECONDS);
            LogFiles.append(log, 7, 7);
            assertRecords(readAll(log, 1), 1, 7);
        }
    }

    @Test
    void metersCountAppendsBytesAndSyncs() {
        try (CommandLog log = open()) {
            long bytes = 0;
            for (long s = 1; s <= 10; s++) {
                log.append(record(s));
                bytes += RecordCodec.encode(record(s)).length;
            }
            log.sync();
            log.sync();
            assertThat(registry.get("cohort.recovery.log.append.latency").timer().count()).isEqualTo(10);
            assertThat(registry.get("cohort.recovery.log.appended.bytes").counter().count()).isEqualTo(bytes);
            assertThat(registry.get("cohort.recovery.log.sync.latency").timer().count()).isEqualTo(2);
            assertThat(registry.get("cohort.recovery.log.cycles.removed").counter().count()).isZero();
            assertThat(registry.find("cohort.recovery.corruption").counters()).isEmpty();
        }
    }

    @Test
    void syncForcesEveryFileWrittenSinceTheLastSync() {
        try (CommandLog log = open()) {
            assertThat(log.pendingSync()).isEmpty();
            LogFiles.append(log, 1, 2);
            clock.advanceMillis(1000);
            LogFiles.append(log, 3, 4);
            List<Path> files = LogFiles.cycleFiles(dir);
            assertThat(files).hasSize(2);
            assertThat(log.pendingSync()).containsExactlyInAnyOrderElementsOf(files);
            log.sync();
            assertThat(log.pendingSync()).isEmpty();
            log.append(record(5));
            assertThat(log.pendingSync()).containsExactly(files.get(1));
            log.sync();
            assertThat(log.pendingSync()).isEmpty();
        }
    }

    @Test
    void closedLogRejectsUse() {
        CommandLog log = open();
        log.append(record(1));
        log.close();
        log.close(); // idempotent
        assertThatThrownBy(() -> log.append(record(2))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(log::sync).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> log.readFrom(1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> log.read(1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> log.removeCoveredCycles(1)).isInstanceOf(IllegalStateException.class);
        try (CommandLog again = open()) {
            assertThat(again.lastRecord()).isEqualTo(record(1)); // close synced it
        }
    }

    /**
     * Chronicle writes index pages (metadata documents) into the cycle file as it grows; none of them
     * may be mistaken for a torn record on open, whatever the record count.
     */
    @Test
    void reopenIsCleanAtEveryIndexBoundary() {
        long next = 1;
        for (int target : new int[] {1, 4, 5, 127, 128, 129, 130, 256, 257, 600}) {
            try (CommandLog log = open()) {
                assertThat(log.openReport().clean()).as("reopen at %d", next - 1).isTrue();
                assertThat(log.lastSequence()).isEqualTo(next - 1);
                while (next <= target) {
                    log.append(next % 7 == 0 ? new LogRecord(next, 1, "x", 1, new byte[(int) (next % 13)]) : record(next));
                    next++;
                }
            }
        }
        try (CommandLog log = open()) {
            assertThat(log.openReport()).isEqualTo(new OpenReport(600, 1, 600, null, null));
            assertThat(readAll(log, 1)).hasSize(600);
        }
        assertThat(LogFiles.totalCorruptions(registry)).isZero();
    }

    @Test
    void settingsDefaultToHourly() {
        assertThat(LogSettings.defaults().rollCycle()).isEqualTo(LogRollCycle.HOURLY);
        assertThatThrownBy(() -> new LogSettings(null)).isInstanceOf(NullPointerException.class);
        for (LogRollCycle c : LogRollCycle.values()) {
            assertThat(c.chronicle()).isNotNull();
        }
        assertThat(Arrays.stream(LogRollCycle.values()).map(c -> c.chronicle().lengthInMillis()).distinct())
                .hasSize(LogRollCycle.values().length);
    }

    private static List<LogRecord> readAllRecords(CommandLog log, long from) {
        return readAll(log, from);
    }

    private static List<LogRecord> drain(LogReader reader) {
        List<LogRecord> out = new ArrayList<>();
        reader.forEachRemaining(out::add);
        return out;
    }
}
