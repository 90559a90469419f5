package io.cohort.benchmarks.recovery;

import io.cohort.benchmarks.ChildJvm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Transfers a large replicated state (default 1 GiB) to a joiner whose heap is much smaller (default
 * {@code -Xmx512m}), streamed from the donor's checkpoint on disk, and checks that it arrives whole.
 *
 * <p>Two replica JVMs ({@link LargeStateNode}) with durable storage and a {@link LargeStateBlobMachine}
 * (state kept in a file): the donor grows its state, checkpoints it and drops the log files the
 * checkpoint covers; then a joiner with an empty data directory joins and must be caught up from
 * that checkpoint (a SNAPSHOT catch-up, checked). Reports the bytes moved, the times, MB/s, the
 * heap peaks of both JVMs, and compares the joiner's state (length and CRC32C of its file) with the
 * donor's.
 *
 * <p>Transport settings: the defaults. The joiner reads the state as it arrives and stops reading
 * from the socket while its consumer is behind, and the donor waits while the joiner has a window
 * unacknowledged, so both heaps stay small whatever the state's size. {@code --donor-queue-mib}
 * and {@code --retransmit-millis} override the donor's outbound queue and both members'
 * retransmission interval (for experiments).
 *
 * <pre>
 *   ./bench-large-state [--state-mib 1024] [--command-mib 16] [--donor-heap 2g] [--joiner-heap 512m]
 *                       [--donor-queue-mib N] [--retransmit-millis N]
 *                       [--dir benchmarks/target/large-state] [--keep] [--joiner-opt -XX:..] [--donor-opt ..]
 * </pre>
 */
public final class LargeStateTransferBenchmark {

    private static final long MIB = 1 << 20;

    private LargeStateTransferBenchmark() {
    }

    /** A child JVM: its stdout lines as they come, its stderr in a file. */
    private static final class Child implements AutoCloseable {
        final String name;
        final Process process;
        final PrintWriter stdin;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

        Child(String name, List<String> command, Path log) throws IOException {
            this.name = name;
            this.process = new ProcessBuilder(command).redirectError(log.toFile()).start();
            this.stdin = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // the process ended
                } finally {
                    lines.add("EOF");
                }
            }, name + "-stdout");
            reader.setDaemon(true);
            reader.start();
        }

        /** Waits for a line starting with {@code prefix} and returns its key=value pairs. */
        Map<String, String> await(String prefix, long timeout, TimeUnit unit) throws Exception {
            long deadline = System.nanoTime() + unit.toNanos(timeout);
            while (true) {
                String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null) {
                    throw new IllegalStateException(name + ": no " + prefix + " within " + timeout + " " + unit);
                }
                if (line.equals("EOF")) {
                    int code = process.waitFor();
                    throw new IllegalStateException(name + " exited (code " + code + ") before " + prefix
                            + (code == 3 ? ": OutOfMemoryError (-XX:+ExitOnOutOfMemoryError)" : "") + "; see its log");
                }
                if (line.startsWith(prefix + " ")) {
                    return parse(line.substring(prefix.length() + 1));
                }
            }
        }

        Map<String, String> ask(String command, String answer) throws Exception {
            stdin.println(command);
            return await(answer, 10, TimeUnit.MINUTES);
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                stdin.println("exit");
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        }
    }

    private static Map<String, String> parse(String pairs) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String p : pairs.trim().split("\\s+")) {
            int eq = p.indexOf('=');
            if (eq > 0) {
                m.put(p.substring(0, eq), p.substring(eq + 1));
            }
        }
        return m;
    }

    /**
     * @param args see the class description
     * @throws Exception if the benchmark fails
     */
    public static void main(String[] args) throws Exception {
        long stateMib = 1024;
        long commandMib = 16;
        String donorHeap = "2g";
        String joinerHeap = "512m";
        long donorQueueMib = 0;
        long retransmitMillis = 0;
        Path dir = Path.of("benchmarks", "target", "large-state");
        boolean keep = false;
        List<String> joinerOptions = new ArrayList<>();
        List<String> donorOptions = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--state-mib" -> stateMib = Long.parseLong(args[++i]);
                case "--command-mib" -> commandMib = Long.parseLong(args[++i]);
                case "--donor-heap" -> donorHeap = args[++i];
                case "--joiner-heap" -> joinerHeap = args[++i];
                case "--dir" -> dir = Path.of(args[++i]);
                case "--keep" -> keep = true;
                case "--joiner-opt" -> joinerOptions.add(args[++i]);
                case "--donor-queue-mib" -> donorQueueMib = Long.parseLong(args[++i]);
                case "--retransmit-millis" -> retransmitMillis = Long.parseLong(args[++i]);
                case "--donor-opt" -> donorOptions.add(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        String transport = "default transport settings";
        if (donorQueueMib > 0) {
            donorOptions.add("-Dbench.outboundQueueBytes=" + donorQueueMib * MIB);
            transport = "donor outboundQueueBytes " + donorQueueMib + " MiB";
        }
        if (retransmitMillis > 0) {
            for (List<String> o : List.of(donorOptions, joinerOptions)) {
                o.add("-Dbench.retransmitMillis=" + retransmitMillis);
            }
            transport += ", retransmitMillis " + retransmitMillis;
        }
        dir = dir.toAbsolutePath();
        deleteTree(dir);
        Files.createDirectories(dir);
        int donorPort = ChildJvm.freePort();
        int joinerPort = ChildJvm.freePort();
        String cluster = "large-state-" + ProcessHandle.current().pid();
        System.out.printf("Large state transfer: %d MiB state (%d MiB per command), donor -Xmx%s, joiner -Xmx%s, in %s%n"
                + "  %s%n", stateMib, commandMib, donorHeap, joinerHeap, dir, transport);

        boolean ok = false;
        try (Child donor = new Child("donor", node(dir, "donor", donorHeap, donorPort, donorPort, cluster, stateMib,
                commandMib, donorOptions), dir.resolve("donor.log"))) {
            long t0 = System.nanoTime();
            Map<String, String> ready = donor.await("READY", 30, TimeUnit.MINUTES);
            System.out.printf("donor ready after %.1f s: %s%n", (System.nanoTime() - t0) / 1e9, ready);
            Map<String, String> joined;
            Map<String, String> joinerMetrics;
            Map<String, String> joinerHash;
            try (Child joiner = new Child("joiner", node(dir, "joiner", joinerHeap, joinerPort, donorPort, cluster,
                    stateMib, commandMib, joinerOptions), dir.resolve("joiner.log"))) {
                joined = joiner.await("JOINED", 30, TimeUnit.MINUTES);
                joinerMetrics = joiner.ask("metrics", "METRICS");
                joinerHash = joiner.ask("hash", "HASH");
            }
            Map<String, String> donorMetrics = donor.ask("metrics", "METRICS");
            Map<String, String> donorHash = donor.ask("hash", "HASH");
            ok = report(ready, joined, joinerMetrics, joinerHash, donorMetrics, donorHash, stateMib,
                    afterMarking(dir.resolve("joiner-gc.log")), afterMarking(dir.resolve("donor-gc.log")));
        } finally {
            if (!keep) {
                for (String sub : List.of("donor", "joiner")) {
                    deleteTree(dir.resolve(sub));
                }
            }
            System.out.println("logs: " + dir.resolve("donor.log") + ", " + dir.resolve("joiner.log") + ", "
                    + dir.resolve("donor-gc.log") + ", " + dir.resolve("joiner-gc.log"));
        }
        System.exit(ok ? 0 : 1);
    }

    private static List<String> node(Path dir, String role, String heap, int port, int seedPort, String cluster,
                                     long stateMib, long commandMib, List<String> extra) {
        List<String> options = new ArrayList<>(List.of("-Xmx" + heap, "-Xms64m",
                "-XX:+ExitOnOutOfMemoryError",
                "-Xlog:gc*:file=" + dir.resolve(role + "-gc.log") + ":uptime,level,tags",
                "-Dbench.role=" + role, "-Dbench.dir=" + dir.resolve(role), "-Dbench.cluster=" + cluster,
                "-Dbench.groupPort=" + port, "-Dbench.seedPort=" + seedPort,
                "-Dbench.stateBytes=" + stateMib * MIB, "-Dbench.commandBytes=" + commandMib * MIB));
        options.addAll(extra);
        return ChildJvm.command(options, LargeStateNode.class);
    }

    /**
     * @return the most heap in use right after a marking (Remark) or a full GC, in MiB, from a GC
     *         log: those pauses leave (about) only live objects, so this bounds the live set from above
     *         (the young figures do not: objects that die in the old generation stay until marked)
     */
    private static long afterMarking(Path gcLog) throws IOException {
        java.util.regex.Pattern p = java.util.regex.Pattern.compile("Pause (?:Remark|Full \\([^)]*\\)) \\d+M->(\\d+)M");
        long max = 0;
        for (String line : Files.readAllLines(gcLog)) {
            java.util.regex.Matcher m = p.matcher(line);
            if (m.find()) {
                max = Math.max(max, Long.parseLong(m.group(1)));
            }
        }
        return max;
    }

    private static boolean report(Map<String, String> ready, Map<String, String> joined, Map<String, String> joinerMetrics,
                                  Map<String, String> joinerHash, Map<String, String> donorMetrics,
                                  Map<String, String> donorHash, long stateMib, long joinerMarked, long donorMarked) {
        long bytes = Long.parseLong(joined.get("catchupBytes"));
        long receiveMillis = Long.parseLong(joined.get("receiveToCheckpointMillis"));
        long catchupMillis = Long.parseLong(joined.get("catchupMillis"));
        long joinMillis = Long.parseLong(joined.get("joinMillis"));
        boolean snapshot = "1".equals(joined.get("catchupSnapshot"));
        boolean same = donorHash.get("length").equals(joinerHash.get("length"))
                && donorHash.get("crc").equals(joinerHash.get("crc"));
        System.out.println();
        System.out.println("| figure | value |");
        System.out.println("| --- | --- |");
        row("state (donor file)", mib(Long.parseLong(donorHash.get("length"))) + " MiB, crc32c " + donorHash.get("crc"));
        row("state (joiner file)", mib(Long.parseLong(joinerHash.get("length"))) + " MiB, crc32c " + joinerHash.get("crc")
                + (same ? " (equal)" : " (DIFFERENT)"));
        row("catch-up kind at the joiner", "snapshot=" + joined.get("catchupSnapshot") + " suffix="
                + joined.get("catchupSuffix") + " live=" + joined.get("catchupLive"));
        row("donor log when the joiner came", ready.get("logFirst") + ".." + ready.get("logLast")
                + " (checkpoint of " + mib(Long.parseLong(ready.get("checkpointBytes"))) + " MiB)");
        row("catch-up stream bytes", bytes + " (" + mib(bytes) + " MiB)");
        row("bytes received over TCP by the joiner", joinerMetrics.get("bytesReceived"));
        row("stream received and written to the joiner's checkpoint",
                String.format(Locale.ROOT, "%.1f s, %.0f MB/s (%.0f MiB/s)", receiveMillis / 1e3,
                        bytes / 1e6 / (receiveMillis / 1e3), mib(bytes) / (receiveMillis / 1e3)));
        row("checkpoint verified (CRC over the file)", joined.get("verifyMillis") + " ms");
        row("state restored from it into the machine's file", joined.get("restoreMillis") + " ms");
        row("whole catch-up at the joiner (receive + verify + restore)",
                String.format(Locale.ROOT, "%.1f s, %.0f MB/s", catchupMillis / 1e3, bytes / 1e6 / (catchupMillis / 1e3)));
        row("join() call at the joiner", String.format(Locale.ROOT, "%.1f s", joinMillis / 1e3));
        row("donor: state provider (read checkpoint, send)", donorMetrics.get("stateTransferMillis") + " ms");
        row("joiner heap: -Xmx / peak used / peak after a young GC / peak after a marking or full GC",
                mib(Long.parseLong(joined.get("heapMax"))) + " / " + mib(Long.parseLong(joined.get("heapPeakUsed"))) + " / "
                        + mib(Long.parseLong(joined.get("heapPeakAfterGc"))) + " / " + joinerMarked + " MiB ("
                        + joined.get("gcs") + " GCs)");
        row("donor heap: -Xmx / peak used / peak after a young GC / peak after a marking or full GC",
                mib(Long.parseLong(donorMetrics.get("heapMax"))) + " / " + mib(Long.parseLong(donorMetrics.get("heapPeakUsed")))
                        + " / " + mib(Long.parseLong(donorMetrics.get("heapPeakAfterGc"))) + " / " + donorMarked + " MiB");
        row("donor: frames dropped / retransmissions", donorMetrics.get("framesDropped") + " / "
                + donorMetrics.get("retransmissions"));
        row("suspicions (donor, joiner)", donorMetrics.get("suspicions") + ", " + joinerMetrics.get("suspicions"));
        System.out.println();
        boolean ok = same && snapshot && Long.parseLong(donorHash.get("length")) == stateMib * MIB;
        System.out.println(ok ? "PASS: the joiner holds the donor's state, received as a checkpoint streamed from disk"
                : "FAIL: " + (!snapshot ? "the joiner was not caught up from a checkpoint; " : "")
                + (!same ? "the states differ" : ""));
        return ok;
    }

    private static void row(String what, String value) {
        System.out.println("| " + what + " | " + value + " |");
    }

    private static long mib(long bytes) {
        return bytes / MIB;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
