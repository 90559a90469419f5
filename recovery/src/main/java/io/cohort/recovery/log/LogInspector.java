package io.cohort.recovery.log;

import io.cohort.replication.core.Entry;
import io.cohort.replication.core.EntryCodec;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * Prints what a replica's command log holds, without changing anything: the queue is opened
 * read-only, so it is safe on a live replica's directory (it then shows the records written so far).
 *
 * <pre>
 * LogInspector &lt;log-directory&gt; [--from &lt;sequence&gt;] [--limit &lt;n&gt;]
 * </pre>
 *
 * Prints the cycle files, then one line per record from {@code --from} (sequence, view, sender,
 * entry type, payload size), at most {@code --limit} of them (default 20), and a summary. It stops
 * at the first damaged record and says what is wrong; exit code 0 if every record read was valid
 * and contiguous, 1 otherwise, 2 for a usage error.
 */
public final class LogInspector {

    /** What an inspection printed, and its exit code. */
    public record Report(String text, int exitCode) {
    }

    private LogInspector() {
    }

    /**
     * @param args the log directory, then optional {@code --from} and {@code --limit}
     */
    public static void main(String[] args) {
        Report r = run(args);
        PrintStream out = r.exitCode() == 2 ? System.err : System.out;
        out.print(r.text());
        System.exit(r.exitCode());
    }

    /**
     * Runs an inspection without printing or exiting.
     *
     * @param args as for {@link #main}
     * @return the text and exit code
     */
    public static Report run(String... args) {
        if (args.length < 1) {
            return usage("missing the log directory");
        }
        long from = 1;
        long limit = 20;
        for (int i = 1; i < args.length; i++) {
            try {
                switch (args[i]) {
                    case "--from" -> from = Long.parseLong(args[++i]);
                    case "--limit" -> limit = Long.parseLong(args[++i]);
                    default -> {
                        return usage("unknown option " + args[i]);
                    }
                }
            } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
                return usage("bad value for " + args[i - 1]);
            }
        }
        return inspect(Path.of(args[0]), from, limit);
    }

    private static Report usage(String problem) {
        return new Report(problem + "\nusage: LogInspector <log-directory> [--from <sequence>] [--limit <n>]\n", 2);
    }

    /**
     * @param directory the command log's directory
     * @param from      first sequence to print
     * @param limit     most records printed
     * @return the report
     */
    public static Report inspect(Path directory, long from, long limit) {
        // Chronicle's start-up banner would end up in the middle of the report.
        if (System.getProperty("chronicle.announcer.disable") == null) {
            System.setProperty("chronicle.announcer.disable", "true");
        }
        StringBuilder out = new StringBuilder();
        if (!Files.isDirectory(directory)) {
            return new Report("no command log at " + directory + "\n", 1);
        }
        List<Path> cycles;
        try (Stream<Path> files = Files.list(directory)) {
            cycles = files.filter(p -> p.getFileName().toString().endsWith(".cq4")).sorted().toList();
        } catch (IOException e) {
            return new Report("cannot list " + directory + ": " + e.getMessage() + "\n", 1);
        }
        out.append("command log ").append(directory).append(": ").append(cycles.size()).append(" cycle file(s)\n");
        for (Path c : cycles) {
            out.append("  ").append(c.getFileName()).append('\n');
        }
        long records = 0;
        long printed = 0;
        long first = 0;
        long last = 0;
        boolean damaged = false;
        try (SingleChronicleQueue queue = SingleChronicleQueueBuilder.binary(directory).readOnly(true)
                .timeoutMS(1000).build()) {
            ExcerptTailer tailer = queue.createTailer();
            RecordCodec.Decoder decoder = new RecordCodec.Decoder();
            while (true) {
                try (DocumentContext dc = tailer.readingDocument()) {
                    if (!dc.isPresent()) {
                        break;
                    }
                    LogRecord r = decoder.read(dc.wire().bytes());
                    if (r == null) {
                        out.append("DAMAGED record after sequence ").append(last).append(": ")
                                .append(decoder.failure()).append('\n');
                        damaged = true;
                        break;
                    }
                    if (last != 0 && r.sequence() != last + 1) {
                        out.append("GAP: sequence ").append(r.sequence()).append(" follows ").append(last).append('\n');
                        damaged = true;
                        break;
                    }
                    if (first == 0) {
                        first = r.sequence();
                    }
                    last = r.sequence();
                    records++;
                    if (r.sequence() >= from && printed < limit) {
                        out.append(describe(r)).append('\n');
                        printed++;
                    }
                }
            }
        } catch (RuntimeException e) {
            out.append("UNREADABLE: ").append(e).append('\n');
            damaged = true;
        }
        out.append(records == 0 ? "no records" : records + " valid record(s), sequences " + first + ".." + last)
                .append(damaged ? ", then damage (a replica opening this log keeps the valid prefix)" : "")
                .append('\n');
        return new Report(out.toString(), damaged ? 1 : 0);
    }

    private static String describe(LogRecord r) {
        String entry;
        try {
            Entry e = EntryCodec.decode(r.payload());
            entry = e.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
            if (e instanceof Entry.Command c) {
                entry += " client " + c.clientId() + "#" + c.sequence() + " " + c.payload().length + " bytes";
            } else if (e instanceof Entry.Update u) {
                entry += " client " + u.clientId() + "#" + u.sequence() + " " + u.payload().length + " bytes"
                        + (u.failed() ? " (failed execution)" : "");
            }
        } catch (IllegalArgumentException e) {
            entry = "not a replication entry (" + r.payload().length + " bytes): "
                    + new String(r.payload(), 0, Math.min(32, r.payload().length), StandardCharsets.ISO_8859_1);
        }
        return String.format("  #%d view %d from %s#%d: %s", r.sequence(), r.viewId(), r.senderName(),
                r.senderIncarnation(), entry);
    }
}
