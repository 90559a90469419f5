package io.cohort.recovery.log;

import static io.cohort.recovery.log.LogFiles.appendCycles;
import static io.cohort.recovery.log.LogFiles.assertRecords;
import static io.cohort.recovery.log.LogFiles.cycleFiles;
import static io.cohort.recovery.log.LogFiles.readAll;
import static io.cohort.recovery.log.LogFiles.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import net.openhft.chronicle.core.time.SetTimeProvider;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandLogRemovalTest {

    @TempDir
    Path tmp;

    private Path dir;
    private SetTimeProvider clock;
    private SimpleMeterRegistry registry;

    @BeforeEach
    void setUp() {
        dir = tmp.resolve("log");
        clock = LogFiles.clock();
        registry = new SimpleMeterRegistry();
    }

    private CommandLog open() {
        return LogFiles.open(dir, LogFiles.secondly(), registry, clock);
    }

    /** Records 1-3, 4-6, 7-9, 10-12 in four cycle files. */
    private CommandLog fourCycles() {
        CommandLog log = open();
        appendCycles(log, clock, 1, 4, 3);
        assertThat(cycleFiles(dir)).hasSize(4);
        return log;
    }

    private double removedCounter() {
        return registry.get("cohort.recovery.log.cycles.removed").counter().count();
    }

    @Test
    void removesExactlyTheFilesWhoseRecordsAreAllCovered() {
        try (CommandLog log = fourCycles()) {
            List<Path> files = cycleFiles(dir);
            assertThat(log.removeCoveredCycles(5)).isEqualTo(1); // file 2 holds 6
            assertThat(cycleFiles(dir)).containsExactlyElementsOf(files.subList(1, 4));
            assertThat(log.firstSequence()).isEqualTo(4);

            assertThat(log.removeCoveredCycles(6)).isEqualTo(1);
            assertThat(cycleFiles(dir)).containsExactlyElementsOf(files.subList(2, 4));
            assertThat(log.firstSequence()).isEqualTo(7);
            assertThat(log.lastSequence()).isEqualTo(12);
            assertThat(removedCounter()).isEqualTo(2.0);

            assertThat(log.read(6)).isNull();
            assertThat(log.read(7)).isEqualTo(record(7));
            assertRecords(readAll(log, 7), 7, 12);
            assertThatThrownBy(() -> log.readFrom(6)).isInstanceOfSatisfying(LogGapException.class, e -> {
                assertThat(e.requestedSequence()).isEqualTo(6);
                assertThat(e.firstAvailableSequence()).isEqualTo(7);
            });
            assertThatThrownBy(() -> log.readFrom(1)).isInstanceOf(LogGapException.class);

            // Appends go on, and the removal survives a reopen.
            log.append(record(13));
        }
        try (CommandLog log = open()) {
            assertThat(log.openReport()).isEqualTo(new OpenReport(7, 7, 13, null, null));
            assertRecords(readAll(log, 7), 7, 13);
            assertThatThrownBy(() -> log.readFrom(4)).isInstanceOf(LogGapException.class);
        }
    }

    @Test
    void isIdempotent() {
        try (CommandLog log = fourCycles()) {
            assertThat(log.removeCoveredCycles(6)).isEqualTo(2);
            assertThat(log.removeCoveredCycles(6)).isZero();
            assertThat(log.removeCoveredCycles(8)).isZero(); // file 3 holds 9
            assertThat(log.removeCoveredCycles(3)).isZero();
            assertThat(cycleFiles(dir)).hasSize(2);
            assertThat(log.firstSequence()).isEqualTo(7);
            assertThat(removedCounter()).isEqualTo(2.0);
        }
    }

    @Test
    void neverRemovesTheNewestFileEvenWhenEverythingIsCovered() {
        try (CommandLog log = fourCycles()) {
            List<Path> files = cycleFiles(dir);
            assertThat(log.removeCoveredCycles(12)).isEqualTo(3);
            assertThat(cycleFiles(dir)).containsExactly(files.get(3));
            assertThat(log.removeCoveredCycles(Long.MAX_VALUE)).isZero();
            assertThat(cycleFiles(dir)).containsExactly(files.get(3));
            assertThat(log.firstSequence()).isEqualTo(10);
            assertThat(log.lastSequence()).isEqualTo(12);
            assertThat(log.lastRecord()).isEqualTo(record(12));
            log.append(record(13));
            assertRecords(readAll(log, 10), 10, 13);
        }
    }

    @Test
    void neverRemovesTheFileHoldingTheLastRecord() {
        try (CommandLog log = open()) {
            appendCycles(log, clock, 1, 2, 3); // files 1 and 2; the clock is now in a third cycle
            assertThat(log.removeCoveredCycles(6)).isEqualTo(1);
            assertThat(log.firstSequence()).isEqualTo(4);
            log.append(record(7)); // opens file 3: now file 2 holds only covered records
            assertThat(log.removeCoveredCycles(6)).isEqualTo(1);
            assertThat(log.firstSequence()).isEqualTo(7);
            assertThat(cycleFiles(dir)).hasSize(1);
        }
    }

    @Test
    void fileAlreadyDeletedIsDroppedWithoutError() throws Exception {
        try (CommandLog log = fourCycles()) {
            Files.delete(cycleFiles(dir).get(0));
            assertThat(log.removeCoveredCycles(6)).isEqualTo(1); // only the second was deleted by us
            assertThat(log.firstSequence()).isEqualTo(7);
            assertThat(cycleFiles(dir)).hasSize(2);
            assertThat(log.removeCoveredCycles(6)).isZero();
        }
    }

    @Test
    void readerThatHasNotReachedRemovedRecordsGetsAGap() {
        try (CommandLog log = fourCycles(); LogReader reader = log.readFrom(2)) {
            assertThat(log.removeCoveredCycles(6)).isEqualTo(2);
            assertThatThrownBy(reader::hasNext).isInstanceOfSatisfying(LogGapException.class, e -> {
                assertThat(e.requestedSequence()).isEqualTo(2);
                assertThat(e.firstAvailableSequence()).isEqualTo(7);
            });
        }
    }

    @Test
    void readerOvertakenByRemovalNeverSkipsRecordsSilently() {
        try (CommandLog log = fourCycles(); LogReader reader = log.readFrom(1)) {
            assertThat(reader.next()).isEqualTo(record(1));
            assertThat(log.removeCoveredCycles(6)).isEqualTo(2);
            // It may still read what its open file holds, but it must not jump from 3 to 7.
            long expected = 2;
            try {
                while (reader.hasNext()) {
                    assertThat(reader.next().sequence()).isEqualTo(expected++);
                }
                throw new AssertionError("reader ended without reporting the removed records");
            } catch (LogGapException e) {
                assertThat(e.requestedSequence()).isEqualTo(expected);
                assertThat(expected).isBetween(2L, 4L);
            }
        }
    }
}
