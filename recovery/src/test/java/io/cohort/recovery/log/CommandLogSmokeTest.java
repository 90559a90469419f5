package io.cohort.recovery.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import net.openhft.chronicle.core.time.SetTimeProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandLogSmokeTest {
    @TempDir
    Path tmp;

    @Test
    void smoke() {
        SetTimeProvider clock = LogFiles.clock();
        Path dir = tmp.resolve("log");
        try (CommandLog log = LogFiles.openSecondly(dir, clock)) {
            LogFiles.appendCycles(log, clock, 1, 3, 3);
            log.sync();
            System.out.println("files " + log.cycleFiles() + " disk " + LogFiles.cycleFiles(dir));
            LogFiles.assertRecords(LogFiles.readAll(log, 1), 1, 9);
        }
        try (CommandLog log = LogFiles.openSecondly(dir, clock)) {
            System.out.println(log.openReport());
            LogFiles.assertRecords(LogFiles.readAll(log, 4), 4, 9);
            assertThat(log.read(5)).isEqualTo(LogFiles.record(5));
        }
    }
}
