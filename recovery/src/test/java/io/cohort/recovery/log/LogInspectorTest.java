package io.cohort.recovery.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.replication.core.Entry;
import io.cohort.replication.core.EntryCodec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The read-only log inspector: what it prints for a sound log, and how it reports damage. */
class LogInspectorTest {

    @TempDir
    Path dir;

    private static LogRecord command(long sequence) {
        byte[] entry = EntryCodec.encode(new Entry.Command(42, sequence, sequence, 1_000 + sequence,
                ("<payload " + sequence + ">").getBytes()));
        return new LogRecord(sequence, 5, "n1", 9, entry);
    }

    @Test
    void printsTheRecordsAskedForAndASummary() throws Exception {
        try (CommandLog log = CommandLog.open(dir, LogSettings.defaults(), new SimpleMeterRegistry())) {
            for (long s = 1; s <= 30; s++) {
                log.append(command(s));
            }
        }
        LogInspector.Report r = LogInspector.run(dir.toString(), "--from", "10", "--limit", "3");
        assertThat(r.exitCode()).isZero();
        assertThat(r.text()).contains("#10 view 5 from n1#9: command client 42#10", "#12 view 5")
                .doesNotContain("#9 view", "#13 view").contains("30 valid record(s), sequences 1..30");
    }

    @Test
    void reportsADamagedRecordAndChangesNothing() throws Exception {
        try (CommandLog log = CommandLog.open(dir, LogSettings.defaults(), new SimpleMeterRegistry())) {
            for (long s = 1; s <= 10; s++) {
                log.append(command(s));
            }
        }
        Path cycle = LogFiles.cycleFiles(dir).get(0);
        LogFiles.flipByte(cycle, LogFiles.find(cycle, "<payload 7>".getBytes()) + 2);
        List<Path> before = LogFiles.cycleFiles(dir);
        byte[] damaged = Files.readAllBytes(cycle);

        LogInspector.Report r = LogInspector.run(dir.toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.text()).contains("DAMAGED record after sequence 6", "checksum", "6 valid record(s), sequences 1..6");
        assertThat(LogFiles.cycleFiles(dir)).isEqualTo(before);
        assertThat(Files.readAllBytes(cycle)).isEqualTo(damaged);
    }

    @Test
    void aMissingDirectoryOrBadArgumentsAreReportedNotThrown() {
        assertThat(LogInspector.run(dir.resolve("nope").toString()).exitCode()).isEqualTo(1);
        assertThat(LogInspector.run().exitCode()).isEqualTo(2);
        assertThat(LogInspector.run(dir.toString(), "--from", "x").exitCode()).isEqualTo(2);
    }
}
