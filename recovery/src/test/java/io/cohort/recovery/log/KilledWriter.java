package io.cohort.recovery.log;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * Run in a child JVM by {@link CommandLogKilledWriterTest}: appends records 1..n, then starts record
 * n+1 the way {@link CommandLog} writes one and halts the JVM in the middle of it, as a crash would.
 */
final class KilledWriter {

    private KilledWriter() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int n = Integer.parseInt(args[1]);
        CommandLog log = CommandLog.open(dir, LogSettings.defaults(), new SimpleMeterRegistry());
        LogFiles.append(log, 1, n);
        log.sync();
        byte[] encoded = RecordCodec.encode(LogFiles.record(n + 1));
        ExcerptAppender appender = log.queue().createAppender();
        DocumentContext dc = appender.writingDocument();
        dc.wire().bytes().write(encoded, 0, encoded.length - 10);
        System.out.println("halting inside record " + (n + 1));
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }
}
