package io.cohort.recovery.log;

import static io.cohort.recovery.log.LogFiles.appendCycles;
import static io.cohort.recovery.log.LogFiles.assertRecords;
import static io.cohort.recovery.log.LogFiles.corruptionCount;
import static io.cohort.recovery.log.LogFiles.cycleFiles;
import static io.cohort.recovery.log.LogFiles.fileHolding;
import static io.cohort.recovery.log.LogFiles.find;
import static io.cohort.recovery.log.LogFiles.marker;
import static io.cohort.recovery.log.LogFiles.readAll;
import static io.cohort.recovery.log.LogFiles.record;
import static io.cohort.recovery.log.LogFiles.totalCorruptions;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import net.openhft.chronicle.core.time.SetTimeProvider;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damages real cycle files on disk and checks what {@link CommandLog#open} keeps, reports, counts,
 * moves aside, and that appends continue afterwards on a clean log.
 */
class CommandLogCorruptionTest {

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

    /** Records 1-3, 4-6 and 7-9 in three cycle files. */
    private void writeThreeCycles() {
        try (CommandLog log = LogFiles.openSecondly(dir, clock)) {
            appendCycles(log, clock, 1, 3, 3);
            log.sync();
        }
        assertThat(cycleFiles(dir)).hasSize(3);
    }

    private CommandLog reopen() {
        return LogFiles.open(dir, LogFiles.secondly(), registry, clock);
    }

    /**
     * The log kept exactly {@code 1..lastKept}, reported {@code kind} at {@code lastKept + 1}, moved
     * the damaged queue aside, and takes {@code lastKept + 1} next; a further open finds it clean.
     */
    private void assertRecovered(CommandLog log, CorruptionKind kind, long lastKept) {
        OpenReport report = log.openReport();
        assertThat(report.clean()).isFalse();
        assertThat(report.corruption().kind()).isEqualTo(kind);
        assertThat(report.corruption().sequence()).isEqualTo(lastKept == 0 ? 0 : lastKept + 1);
        assertThat(report.recordsVerified()).isEqualTo(lastKept);
        assertThat(report.firstSequence()).isEqualTo(lastKept == 0 ? 0 : 1);
        assertThat(report.lastSequence()).isEqualTo(lastKept);
        assertThat(report.quarantineDirectory()).isEqualTo(tmp.resolve("log.corrupt-1"));
        assertThat(cycleFiles(report.quarantineDirectory())).isNotEmpty();

        assertThat(log.firstSequence()).isEqualTo(lastKept == 0 ? 0 : 1);
        assertThat(log.lastSequence()).isEqualTo(lastKept);
        assertThat(log.lastRecord()).isEqualTo(lastKept == 0 ? null : record(lastKept));
        assertRecords(readAll(log, 1), 1, lastKept);
        assertThat(log.read(lastKept + 1)).isNull();

        assertThat(corruptionCount(registry, kind.tag())).isEqualTo(1.0);
        assertThat(totalCorruptions(registry)).isEqualTo(1.0);

        // Appends continue right after the valid prefix, and survive a reopen that finds nothing wrong.
        long next = lastKept + 1;
        log.append(record(next));
        log.append(record(next + 1));
        log.sync();
        log.close();
        try (CommandLog again = reopen()) {
            assertThat(again.openReport().clean()).isTrue();
            assertRecords(readAll(again, 1), 1, next + 1);
        }
        assertThat(totalCorruptions(registry)).isEqualTo(1.0);
    }

    @Test
    void flippedByteInTheMiddleDropsThatRecordAndEverythingAfter() {
        writeThreeCycles();
        Path middle = fileHolding(dir, 5);
        LogFiles.flipByte(middle, find(middle, marker(5)) + 3);

        try (CommandLog log = reopen()) {
            assertThat(log.openReport().corruption().file()).isEqualTo(middle);
            assertRecovered(log, CorruptionKind.CHECKSUM, 4);
        }
    }

    @Test
    void flippedByteInTheLastRecordIsATornTail() {
        writeThreeCycles();
        Path last = fileHolding(dir, 9);
        LogFiles.flipByte(last, find(last, marker(9)) + 1);

        try (CommandLog log = reopen()) {
            assertRecovered(log, CorruptionKind.TORN_TAIL, 8);
        }
    }

    @Test
    void lastRecordCutShortIsATornTail() {
        writeThreeCycles();
        Path last = fileHolding(dir, 9);
        LogFiles.truncate(last, find(last, marker(9)) + 5);

        try (CommandLog log = reopen()) {
            assertRecovered(log, CorruptionKind.TORN_TAIL, 8);
        }
    }

    @Test
    void middleFileCutShortDropsFromTheCutOn() {
        writeThreeCycles();
        Path middle = fileHolding(dir, 5);
        LogFiles.truncate(middle, find(middle, marker(5)) + 5);

        try (CommandLog log = reopen()) {
            assertRecovered(log, CorruptionKind.CHECKSUM, 4);
        }
    }

    @Test
    void missingMiddleCycleFileIsAGap() {
        writeThreeCycles();
        Path middle = fileHolding(dir, 5);
        LogFiles.deleteRecursively(middle);

        try (CommandLog log = reopen()) {
            assertRecovered(log, CorruptionKind.GAP, 3);
        }
    }

    @Test
    void everyCycleFileMissingIsAnEmptyLog() throws Exception {
        writeThreeCycles();
        for (Path f : cycleFiles(dir)) {
            Files.delete(f);
        }
        try (CommandLog log = reopen()) {
            assertThat(log.openReport().clean()).isTrue();
            assertThat(log.lastSequence()).isZero();
            log.append(record(40));
            log.sync();
            assertRecords(readAll(log, 40), 40, 40);
        }
    }

    @Test
    void deletedDirectoryIsAnEmptyLog() {
        writeThreeCycles();
        LogFiles.deleteRecursively(dir);

        try (CommandLog log = reopen()) {
            assertThat(log.openReport()).isEqualTo(new OpenReport(0, 0, 0, null, null));
            assertThat(log.firstSequence()).isZero();
            assertThat(log.lastSequence()).isZero();
            assertThat(log.lastRecord()).isNull();
            assertThat(readAll(log, 1)).isEmpty();
            log.append(record(12)); // an empty log starts anywhere
            assertRecords(readAll(log, 12), 12, 12);
        }
        assertThat(totalCorruptions(registry)).isZero();
    }

    /** A writer killed in the middle of a record, as Chronicle 2026.4 leaves it: frozen mid-document. */
    @Test
    void unfinishedDocumentLeftByAKilledWriterIsATornTail() throws Exception {
        Path live = tmp.resolve("live");
        try (CommandLog log = LogFiles.openSecondly(live, clock)) {
            appendCycles(log, clock, 1, 2, 3);
            LogFiles.append(log, 7, 8);
            log.sync();
        }
        // Start a document the way CommandLog does and snapshot the files before it is closed.
        byte[] encoded = RecordCodec.encode(record(9));
        try (SingleChronicleQueue q = rawQueue(live)) {
            ExcerptAppender appender = q.createAppender();
            DocumentContext dc = appender.writingDocument();
            dc.wire().bytes().write(encoded, 0, encoded.length - 10);
            LogFiles.snapshot(live, dir);
            dc.rollbackOnClose();
            dc.close();
        }
        // What the killed writer left: a zero length header, then half a record.
        Path last = fileHolding(dir, 8);
        long fragment = find(last, marker(9));
        assertThat(readIntLE(last, headerOf(fragment, 9))).isZero();

        try (CommandLog log = reopen()) {
            assertThat(log.openReport().corruption().detail()).contains("unfinished record");
            assertRecovered(log, CorruptionKind.TORN_TAIL, 8);
        }
    }

    /** Chronicle's own "document not complete" header at the end (other writers, older versions). */
    @Test
    void notCompleteHeaderAtTheEndIsATornTail() {
        writeThreeCycles();
        Path last = fileHolding(dir, 9);
        long header = headerOf(find(last, marker(9)), 9);
        LogFiles.writeAt(last, header, intLE(0x80000000 | 0x50));

        try (CommandLog log = reopen()) {
            assertThat(log.openReport().corruption().detail()).contains("unfinished Chronicle document");
            assertRecovered(log, CorruptionKind.TORN_TAIL, 8);
        }
    }

    /**
     * A "not complete" header in an older cycle file stops every tailer in that file; Chronicle's
     * appender would wait for it. Open must neither hang nor keep records beyond it.
     */
    @Test
    void notCompleteHeaderInAnOlderCycleIsUnreadable() {
        writeThreeCycles();
        Path middle = fileHolding(dir, 5);
        long header = headerOf(find(middle, marker(5)), 5);
        LogFiles.writeAt(middle, header, intLE(0x80000000 | 0x50));

        try (CommandLog log = reopen()) {
            assertThat(log.openReport().corruption().file()).isEqualTo(middle);
            assertRecovered(log, CorruptionKind.UNREADABLE, 4);
        }
    }

    /** A document with a valid checksum that this version cannot decode (an unknown format byte). */
    @Test
    void undecodableRecordWithValidChecksumIsUnreadable() {
        try (CommandLog log = LogFiles.openSecondly(dir, clock)) {
            LogFiles.append(log, 1, 4);
        }
        try (SingleChronicleQueue q = rawQueue(dir)) {
            ExcerptAppender appender = q.createAppender();
            for (long s = 5; s <= 6; s++) {
                byte[] encoded = RecordCodec.encode(record(s));
                if (s == 5) {
                    encoded[0] = 9;
                    reseal(encoded);
                }
                try (DocumentContext dc = appender.writingDocument()) {
                    dc.wire().bytes().write(encoded);
                }
            }
        }
        try (CommandLog log = reopen()) {
            assertThat(log.openReport().corruption().detail()).contains("unknown record format 9");
            assertRecovered(log, CorruptionKind.UNREADABLE, 4);
        }
    }

    /** Records written out of order (not contiguous) by something other than CommandLog. */
    @Test
    void nonContiguousSequencesAreAGap() {
        try (CommandLog log = LogFiles.openSecondly(dir, clock)) {
            LogFiles.append(log, 1, 4);
        }
        try (SingleChronicleQueue q = rawQueue(dir)) {
            ExcerptAppender appender = q.createAppender();
            for (long s : List.of(6L, 7L)) {
                try (DocumentContext dc = appender.writingDocument()) {
                    dc.wire().bytes().write(RecordCodec.encode(record(s)));
                }
            }
        }
        try (CommandLog log = reopen()) {
            assertThat(log.openReport().corruption().detail()).contains("record 6 follows record 4");
            assertRecovered(log, CorruptionKind.GAP, 4);
        }
    }

    @Test
    void damagedFirstRecordLeavesAnEmptyLogThatStartsAgain() {
        writeThreeCycles();
        Path first = fileHolding(dir, 1);
        LogFiles.flipByte(first, find(first, marker(1)) + 2);

        try (CommandLog log = reopen()) {
            assertRecovered(log, CorruptionKind.CHECKSUM, 0);
        }
    }

    @Test
    void secondRecoveryUsesTheNextQuarantineName() {
        writeThreeCycles();
        Path last = fileHolding(dir, 9);
        LogFiles.flipByte(last, find(last, marker(9)));
        reopen().close();

        Path again = fileHolding(dir, 8);
        LogFiles.flipByte(again, find(again, marker(8)));
        try (CommandLog log = reopen()) {
            assertThat(log.openReport().quarantineDirectory()).isEqualTo(tmp.resolve("log.corrupt-2"));
            assertThat(log.lastSequence()).isEqualTo(7);
        }
        assertThat(corruptionCount(registry, "torn-tail")).isEqualTo(2.0);
    }

    /** A crash while Chronicle created a new cycle file can leave it empty: nothing in it was a record. */
    @Test
    void emptyNewestCycleFileIsATornTail() {
        writeThreeCycles();
        Path newest = cycleFiles(dir).get(2);
        LogFiles.truncate(newest, 0);

        try (CommandLog log = reopen()) {
            assertThat(log.openReport().corruption().detail()).contains("newest cycle file was never initialised");
            assertThat(log.openReport().corruption().file()).isEqualTo(newest);
            assertRecovered(log, CorruptionKind.TORN_TAIL, 6);
        }
        // The damaged file is kept, renamed so that Chronicle ignores it.
        assertThat(tmp.resolve("log.corrupt-1").resolve(newest.getFileName() + ".unreadable")).exists();
    }

    @Test
    void uninitialisedMiddleCycleFileIsUnreadable() {
        writeThreeCycles();
        Path middle = cycleFiles(dir).get(1);
        LogFiles.writeAt(middle, 0, new byte[8]); // its Chronicle header never written

        try (CommandLog log = reopen()) {
            assertThat(log.openReport().corruption().file()).isEqualTo(middle);
            assertRecovered(log, CorruptionKind.UNREADABLE, 3);
        }
    }

    @Test
    void garbledCycleFileHeaderIsUnreadable() {
        writeThreeCycles();
        byte[] garbage = new byte[64];
        java.util.Arrays.fill(garbage, (byte) 0x5a);
        LogFiles.writeAt(cycleFiles(dir).get(1), 0, garbage);

        try (CommandLog log = reopen()) {
            assertRecovered(log, CorruptionKind.UNREADABLE, 3);
        }
    }

    /** Chronicle's metadata file holds no records; damaged, it is rebuilt and every record kept. */
    @Test
    void damagedMetadataFileKeepsEveryRecord() {
        writeThreeCycles();
        LogFiles.truncate(dir.resolve("metadata.cq4t"), 100);

        try (CommandLog log = reopen()) {
            assertThat(log.openReport().corruption().file()).isEqualTo(dir.resolve("metadata.cq4t"));
            assertThat(log.openReport().corruption().detail()).contains("read-only");
            assertRecovered(log, CorruptionKind.UNREADABLE, 9);
        }
        assertThat(tmp.resolve("log.corrupt-1").resolve("metadata.cq4t.damaged-1")).exists();
    }

    @Test
    void garbageMetadataFileKeepsEveryRecord() {
        writeThreeCycles();
        byte[] garbage = new byte[4096];
        java.util.Arrays.fill(garbage, (byte) 0x5a);
        LogFiles.writeAt(dir.resolve("metadata.cq4t"), 0, garbage);

        try (CommandLog log = reopen()) {
            assertThat(log.openReport().corruption().detail()).contains("cannot open the queue");
            assertRecovered(log, CorruptionKind.UNREADABLE, 9);
        }
    }

    @Test
    void missingMetadataFileIsRebuiltByChronicle() throws Exception {
        writeThreeCycles();
        Files.delete(dir.resolve("metadata.cq4t"));

        try (CommandLog log = reopen()) {
            assertThat(log.openReport()).isEqualTo(new OpenReport(9, 1, 9, null, null));
            log.append(record(10));
            assertRecords(readAll(log, 1), 1, 10);
        }
        assertThat(totalCorruptions(registry)).isZero();
    }

    private SingleChronicleQueue rawQueue(Path queueDir) {
        return SingleChronicleQueueBuilder.binary(queueDir)
                .rollCycle(LogRollCycle.TEST_SECONDLY.chronicle())
                .timeProvider(clock)
                .blockSize(CommandLog.BLOCK_SIZE)
                .timeoutMS(CommandLog.TIMEOUT_MS)
                .build();
    }

    /** Recomputes the checksum after editing an encoded record. */
    private static void reseal(byte[] encoded) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(encoded, 0, encoded.length - 4);
        ByteBuffer.wrap(encoded, encoded.length - 4, 4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) crc.getValue());
    }

    /** File offset of the Chronicle header of the document whose payload starts at {@code payload}. */
    private static long headerOf(long payload, long sequence) {
        int name = record(sequence).senderName().length();
        return payload - RecordCodec.FIXED_HEADER - name - 4;
    }

    private static byte[] intLE(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    private static int readIntLE(Path file, long offset) throws Exception {
        try (var ch = java.nio.channels.FileChannel.open(file)) {
            ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, offset);
            return b.getInt(0);
        }
    }
}
