package io.cohort.recovery.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real writer process killed in the middle of a record (no simulation of Chronicle's state). */
class CommandLogKilledWriterTest {

    @TempDir
    Path tmp;

    @Test
    void recordTornByAKilledProcessIsDroppedAndTheRestKept() throws Exception {
        Path dir = tmp.resolve("log");
        Path output = tmp.resolve("child.out");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // The JVM flags Chronicle needs (the parent pom passes them to this JVM).
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-"))
                .forEach(command::add);
        command.add("-Dchronicle.announcer.disable=true");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(KilledWriter.class.getName());
        command.add(dir.toString());
        command.add("10");
        Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("child finished").isTrue();
        assertThat(Files.readString(output)).contains("halting inside record 11");
        assertThat(child.exitValue()).isZero();

        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (CommandLog log = CommandLog.open(dir, LogSettings.defaults(), registry)) {
            OpenReport report = log.openReport();
            assertThat(report.corruption()).isNotNull();
            assertThat(report.corruption().kind()).isEqualTo(CorruptionKind.TORN_TAIL);
            assertThat(report.corruption().sequence()).isEqualTo(11);
            assertThat(report.lastSequence()).isEqualTo(10);
            assertThat(report.quarantineDirectory()).isEqualTo(tmp.resolve("log.corrupt-1"));
            assertThat(LogFiles.corruptionCount(registry, "torn-tail")).isEqualTo(1.0);
            LogFiles.assertRecords(LogFiles.readAll(log, 1), 1, 10);

            log.append(LogFiles.record(11));
            log.sync();
        }
        try (CommandLog log = CommandLog.open(dir, LogSettings.defaults(), registry)) {
            assertThat(log.openReport().clean()).isTrue();
            LogFiles.assertRecords(LogFiles.readAll(log, 1), 1, 11);
        }
        assertThat(new File(tmp.toFile(), "log.corrupt-2")).doesNotExist();
    }
}
