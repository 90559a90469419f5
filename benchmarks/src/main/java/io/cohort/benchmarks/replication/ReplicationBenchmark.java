package io.cohort.benchmarks.replication;

import io.cohort.benchmarks.ChildJvm;
import io.cohort.benchmarks.RunSummary;
import io.cohort.client.CohortClient;
import io.cohort.replication.ReplicationMode;
import io.cohort.replication.storage.Durability;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Commands per second and command latency of a replicated state machine: three
 * {@link ReplicaBenchmarkNode} JVMs on loopback, closed-loop clients in this JVM. A benchmark, not
 * a test: nothing fails on a slow figure.
 *
 * <p>For each mode (a fresh group of replica JVMs per mode) and each client count: that many
 * {@link CohortClient}s, each its own session with one command outstanding at a time (the next is
 * submitted when the previous one's result arrives), spread over the replicas (client {@code i}
 * talks first to the replica of rank {@code (i + 1) mod 3}, so a single client talks to a
 * non-coordinator, i.e. to a backup in primary-backup mode). A warm-up, then the measured period:
 * commands completed per second, and the latency from {@code submit} to the completion of its
 * future, in an HdrHistogram. Each (mode, clients) pair runs {@code --runs} times with fresh
 * clients; the summary gives the median and the range of each figure. Per run it also prints the
 * CPU each replica JVM and this JVM used during the measured period (100% = one core), with the
 * whole machine's busy time and how much of it was spent outside these JVMs (on Linux, from
 * /proc/stat: other processes, such as a build running alongside, show up there), the clients'
 * failovers, retries and failed commands; after each mode, whether the replicas agree on their
 * applied index and state hash.
 *
 * <p>Usage: {@code ReplicationBenchmark [--modes ACTIVE,PRIMARY_BACKUP] [--durability MEMORY,LOG,SYNC]
 * [--data-dir DIR] [--clients 1,16,128] [--payload 100] [--prime 20] [--warmup 3] [--seconds 10] [--runs 3]
 * [--replicas 3] [--heap 1g]}, where {@code --prime} is an unmeasured run per fresh group, with the largest
 * client count, so that the replica JVMs' JIT has compiled the paths before the first measurement.
 *
 * <p>{@code --durability} (default MEMORY) lists the durability levels to measure, a fresh group
 * for each (mode, level): at LOG and SYNC every replica gets a
 * {@link io.cohort.recovery.DurableStorage} in its own directory under {@code --data-dir} (default: a
 * new temporary directory), deleted when its group is closed. The benchmark also reads each
 * replica's meters before and after the measured period and prints the multicasts the group sent
 * per command applied (commands, plus at LOG and SYNC the replicas' log-progress messages, plus state
 * hashes), the mean apply time and, with storage, the mean log append time and at SYNC the number of
 * syncs, the commands per sync (the group-commit batch) and the mean sync time. Each run also records the 1-minute load average at its end
 * ({@code /proc/loadavg}): the machine may be shared.
 */
public final class ReplicationBenchmark {

    private ReplicationBenchmark() {
    }

    /**
     * One measured run. The storage figures are means over the replicas of per-replica means over
     * the measured period (0 without storage, or without syncs for the sync figures).
     *
     * @param load            the 1-minute load average at the end of the measured period (-1 if unknown)
     * @param appendMicros    mean time of one log append
     * @param applyMicros     mean time of one apply (SAFE delivery, the append included)
     * @param commandsPerSync applied commands per log sync (the group-commit batch)
     * @param syncMicros      mean time of one log sync
     * @param syncShare       share of the measured period the replica's apply thread spent in syncs
     * @param multicastsPerCommand multicasts sent by the whole group per command applied
     */
    record Result(double commandsPerSecond, long p50, long p99, long p999, long max, long failures, long failovers,
                  long retries, double load, double appendMicros, double applyMicros, double commandsPerSync,
                  double syncMicros, double syncShare, double multicastsPerCommand) {
    }

    /**
     * @param args options, see the class comment
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opt.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        List<ReplicationMode> modes = Arrays.stream(opt.getOrDefault("modes", "ACTIVE,PRIMARY_BACKUP").split(","))
                .map(ReplicationMode::valueOf).toList();
        List<Durability> durabilities = Arrays.stream(opt.getOrDefault("durability", "MEMORY").split(","))
                .map(Durability::valueOf).toList();
        List<Integer> clientCounts = Arrays.stream(opt.getOrDefault("clients", "1,16,128").split(","))
                .map(Integer::valueOf).toList();
        int payload = Integer.parseInt(opt.getOrDefault("payload", "100"));
        int warmup = Integer.parseInt(opt.getOrDefault("warmup", "3"));
        int seconds = Integer.parseInt(opt.getOrDefault("seconds", "10"));
        int runs = Integer.parseInt(opt.getOrDefault("runs", "3"));
        int replicas = Integer.parseInt(opt.getOrDefault("replicas", "3"));
        int prime = Integer.parseInt(opt.getOrDefault("prime", "20"));
        String heap = opt.getOrDefault("heap", "1g");
        if (payload < 5) {
            throw new IllegalArgumentException("--payload must be at least 5 bytes (operation and key)");
        }
        boolean ownDataDir = !opt.containsKey("data-dir");
        Path dataDir = ownDataDir ? Files.createTempDirectory("cohort-bench-data")
                : Files.createDirectories(Path.of(opt.get("data-dir")));
        System.out.printf("replicas=%d modes=%s durability=%s clients=%s payload=%dB prime=%ds warmup=%ds seconds=%ds "
                        + "runs=%d heap=%s cpus=%d%s%n", replicas, modes, durabilities, clientCounts, payload, prime,
                warmup, seconds, runs, heap, Runtime.getRuntime().availableProcessors(),
                durabilities.stream().anyMatch(d -> d != Durability.MEMORY) ? " data-dir=" + dataDir : "");

        Map<String, List<Result>> results = new LinkedHashMap<>();
        try {
            for (ReplicationMode mode : modes) {
                for (Durability durability : durabilities) {
                    results.putAll(measure(mode, durability, dataDir, replicas, heap, clientCounts, payload, prime,
                            warmup, seconds, runs));
                }
            }
        } finally {
            if (ownDataDir) {
                deleteTree(dataDir);
            }
        }
        System.out.println();
        System.out.println("| mode | durability | clients | commands/s | p50 µs | p99 µs | p999 µs | load (1 min) |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- |");
        results.forEach((key, rs) -> {
            String[] k = key.split(" ");
            System.out.printf("| %s | %s | %s | %s | %s | %s | %s | %s |%n", k[0], k[1], k[2],
                    RunSummary.medianRange(rs, Result::commandsPerSecond, 0), RunSummary.medianRange(rs, Result::p50, 0), RunSummary.medianRange(rs, Result::p99, 0),
                    RunSummary.medianRange(rs, Result::p999, 0), RunSummary.range(rs, Result::load));
        });
        System.out.println();
        System.out.println("Means over the measured period, per replica unless said otherwise (median (min–max) of "
                + "the runs):");
        System.out.println("| mode | durability | clients | multicasts per command (group) | apply µs | append µs "
                + "| commands per sync | sync µs | % of time in sync |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        results.forEach((key, rs) -> {
            String[] k = key.split(" ");
            boolean durable = !k[1].equals(Durability.MEMORY.name());
            boolean sync = k[1].equals(Durability.SYNC.name());
            System.out.printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", k[0], k[1], k[2],
                    RunSummary.medianRange(rs, Result::multicastsPerCommand, 2), RunSummary.medianRange(rs, Result::applyMicros, 1),
                    durable ? RunSummary.medianRange(rs, Result::appendMicros, 1) : "–",
                    sync ? RunSummary.medianRange(rs, Result::commandsPerSync, 1) : "–",
                    sync ? RunSummary.medianRange(rs, Result::syncMicros, 0) : "–",
                    sync ? RunSummary.medianRange(rs, r -> 100 * r.syncShare(), 1) : "–");
        });
    }

    /** One fresh group at one mode and durability level: every client count, {@code runs} times. */
    private static Map<String, List<Result>> measure(ReplicationMode mode, Durability durability, Path dataDir,
                                                     int replicas, String heap, List<Integer> clientCounts,
                                                     int payload, int prime, int warmup, int seconds, int runs)
            throws Exception {
        Map<String, List<Result>> results = new LinkedHashMap<>();
        String label = mode + " " + durability;
        Path groupDir = dataDir.resolve((mode + "-" + durability).toLowerCase(Locale.ROOT));
        try (Cluster cluster = Cluster.start(mode, durability, groupDir, replicas, heap)) {
            System.out.printf("%s: view %s of %s, coordinator %s; client endpoints by rank %s%n", label,
                    cluster.viewId, cluster.rankOrder, cluster.rankOrder.get(0), cluster.endpointsByRank());
            if (prime > 0) {
                // JIT warm-up of the fresh replica JVMs before anything is measured: at a few hundred
                // commands per second the compilers are still busy tens of seconds after start-up.
                int most = clientCounts.stream().mapToInt(Integer::intValue).max().orElse(1);
                System.out.printf("%s: priming the JVMs with %d clients for %d s (not measured)%n", label, most,
                        prime);
                runOnce(cluster, most, payload, prime, 0);
            }
            for (int clients : clientCounts) {
                List<Result> rs = new ArrayList<>();
                for (int run = 1; run <= runs; run++) {
                    Result r = runOnce(cluster, clients, payload, warmup, seconds);
                    rs.add(r);
                    System.out.printf(Locale.ROOT, "%s clients=%d run %d: %.0f cmds/s p50=%dus p99=%dus "
                                    + "p999=%dus max=%dus failed=%d failovers=%d retries=%d load=%.2f%n", label,
                            clients, run, r.commandsPerSecond(), r.p50(), r.p99(), r.p999(), r.max(),
                            r.failures(), r.failovers(), r.retries(), r.load());
                }
                results.put(label + " " + clients, rs);
                System.out.printf(Locale.ROOT, "%s clients=%d median (min-max): %s cmds/s p50=%s p99=%s "
                                + "p999=%s us%n", label, clients, RunSummary.medianRange(rs, Result::commandsPerSecond, 0),
                        RunSummary.medianRange(rs, Result::p50, 0), RunSummary.medianRange(rs, Result::p99, 0), RunSummary.medianRange(rs, Result::p999, 0));
            }
            cluster.checkAgreement();
        } finally {
            deleteTree(groupDir);
        }
        return results;
    }

    /** Deletes a directory and everything in it, if it exists. */
    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }





    /** @return the 1-minute load average (Linux), -1 if unknown */
    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Runs {@code n} clients for {@code warmup} then {@code seconds} (0: unmeasured, nothing printed but trouble). */
    private static Result runOnce(Cluster cluster, int n, int payloadBytes, int warmup, int seconds)
            throws InterruptedException {
        List<InetSocketAddress> byRank = cluster.endpointsByRank();
        Recorder recorder = new Recorder(3);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong failures = new AtomicLong();
        Queue<String> failureSamples = new ConcurrentLinkedQueue<>();
        CountDownLatch stopped = new CountDownLatch(n);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        List<ClientLoop> loops = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<InetSocketAddress> order = new ArrayList<>();
            for (int j = 0; j < byRank.size(); j++) {
                order.add(byRank.get((i + 1 + j) % byRank.size()));
            }
            CohortClient client = CohortClient.builder().endpoints(order).shuffleEndpoints(false)
                    .meterRegistry(registry).build();
            byte[] command = new byte[payloadBytes];
            ByteBuffer.wrap(command).put(ReplicaBenchmarkNode.Registers.ADD).putInt(i);
            loops.add(new ClientLoop(client, command, recorder, running, failures, failureSamples, stopped));
        }
        loops.forEach(ClientLoop::next);
        TimeUnit.SECONDS.sleep(warmup);
        recorder.getIntervalHistogram(); // discards the warm-up
        long failuresBefore = failures.get();
        double failoversBefore = count(registry, "cohort.client.failovers");
        double retriesBefore = count(registry, "cohort.client.retries");
        long[][] metricsBefore = seconds > 0 ? cluster.metrics() : null;
        long[] cpuBefore = cluster.cpuNanos();
        long from = System.nanoTime();
        TimeUnit.SECONDS.sleep(seconds);
        Histogram h = recorder.getIntervalHistogram();
        long to = System.nanoTime();
        long[] cpuAfter = cluster.cpuNanos();
        long[][] metricsAfter = metricsBefore == null ? null : cluster.metrics();
        double load = loadAverage();
        long failed = failures.get() - failuresBefore;
        long failovers = (long) (count(registry, "cohort.client.failovers") - failoversBefore);
        long retries = (long) (count(registry, "cohort.client.retries") - retriesBefore);
        running.set(false);

        double[] storage = new double[6];
        if (seconds > 0) {
            printCpu(cluster, cpuBefore, cpuAfter, to - from);
            if (metricsBefore != null) {
                storage = printStorage(cluster, metricsBefore, metricsAfter, to - from);
            }
        }

        // Every future completes within the client's overall timeout (60 s): allow a margin.
        if (!stopped.await(75, TimeUnit.SECONDS)) {
            long now = System.nanoTime();
            System.out.printf("  STUCK: %d of %d clients still wait for a command 75 s after the run ended:%n",
                    stopped.getCount(), n);
            for (ClientLoop l : loops) {
                if (l.inFlight) {
                    System.out.printf("    client %x at %s: command outstanding for %d ms%n", l.client.clientId(),
                            l.client.currentEndpoint(), (now - l.submittedAt) / 1_000_000);
                }
            }
        }
        if (failures.get() > 0) {
            System.out.printf("  %d failed commands in this run (warm-up included); first ones:%n", failures.get());
            failureSamples.forEach(s -> System.out.println("    " + s));
        }
        loops.forEach(l -> l.client.close());
        if (seconds == 0) {
            return null;
        }
        return new Result(h.getTotalCount() * 1e9 / (to - from), micros(h.getValueAtPercentile(50)),
                micros(h.getValueAtPercentile(99)), micros(h.getValueAtPercentile(99.9)), micros(h.getMaxValue()),
                failed, failovers, retries, load, storage[0], storage[1], storage[2], storage[3], storage[4],
                storage[5]);
    }

    /**
     * Prints, per replica, what its apply thread and storage did during the measured period.
     *
     * @return means over the replicas of: append µs, apply µs, commands per sync, sync µs, share of
     *         the period spent in syncs (0 where there were none); then multicasts sent by the
     *         group per command applied
     */
    private static double[] printStorage(Cluster cluster, long[][] before, long[][] after, long elapsedNanos) {
        // METRICS applied applyCount applyNanos appendCount appendNanos syncCount syncNanos multicastsSent
        StringBuilder line = new StringBuilder("  replicas during the measured period:");
        double[] sum = new double[6];
        long sent = 0;
        long appliedMost = 0;
        int counted = 0;
        for (int i = 0; i < cluster.nodes.size(); i++) {
            long[] b = before[i];
            long[] a = after[i];
            if (b == null || a == null) {
                line.append(' ').append(cluster.nodes.get(i).name).append("=no answer");
                continue;
            }
            long applied = a[0] - b[0];
            sent += a[7] - b[7];
            appliedMost = Math.max(appliedMost, applied);
            double applyMicros = ratio(a[2] - b[2], a[1] - b[1]) / 1000;
            double appendMicros = ratio(a[4] - b[4], a[3] - b[3]) / 1000;
            long syncs = a[5] - b[5];
            double syncMicros = ratio(a[6] - b[6], syncs) / 1000;
            double perSync = ratio(applied, syncs);
            double share = (double) (a[6] - b[6]) / elapsedNanos;
            line.append(String.format(Locale.ROOT, " %s: applied=%d apply=%.1fus", cluster.nodes.get(i).name,
                    applied, applyMicros));
            if (cluster.durable()) {
                line.append(String.format(Locale.ROOT, " append=%.1fus", appendMicros));
            }
            if (syncs > 0) {
                line.append(String.format(Locale.ROOT, " syncs=%d cmds/sync=%.1f sync=%.0fus in-sync=%.0f%%;", syncs,
                        perSync, syncMicros, 100 * share));
            } else {
                line.append(';');
            }
            double[] v = {appendMicros, applyMicros, perSync, syncMicros, share, 0};
            for (int j = 0; j < v.length; j++) {
                sum[j] += v[j];
            }
            counted++;
        }
        for (int j = 0; j < sum.length; j++) {
            sum[j] = counted == 0 ? 0 : sum[j] / counted;
        }
        sum[5] = ratio(sent, appliedMost);
        line.append(String.format(Locale.ROOT, " group: %.2f multicasts sent per command", sum[5]));
        System.out.println(line);
        return sum;
    }

    private static double ratio(double a, double b) {
        return b == 0 ? 0 : a / b;
    }

    private static void printCpu(Cluster cluster, long[] before, long[] after, long elapsedNanos) {
        StringBuilder cpu = new StringBuilder("  cpu during the measured period (100% = one core):");
        for (int i = 0; i < cluster.nodes.size(); i++) {
            Node node = cluster.nodes.get(i);
            cpu.append(String.format(Locale.ROOT, " %s(%s)=%.0f%%", node.name, cluster.roleOf(node),
                    100.0 * (after[i] - before[i]) / elapsedNanos));
        }
        int self = cluster.nodes.size();
        cpu.append(String.format(Locale.ROOT, " benchmark-jvm=%.0f%%",
                100.0 * (after[self] - before[self]) / elapsedNanos));
        int machine = self + 1;
        if (before[machine] >= 0 && after[machine] >= 0) {
            long ours = 0;
            for (int i = 0; i <= self; i++) {
                ours += after[i] - before[i];
            }
            long busy = after[machine] - before[machine];
            // Includes kernel work not charged to a process (softirqs of loopback traffic, partly).
            cpu.append(String.format(Locale.ROOT, "; whole machine busy=%.0f%% of which outside these JVMs=%.0f%%",
                    100.0 * busy / elapsedNanos, 100.0 * (busy - ours) / elapsedNanos));
        }
        System.out.println(cpu);
    }

    private static long micros(long nanos) {
        return Math.round(nanos / 1000.0);
    }

    private static double count(SimpleMeterRegistry registry, String name) {
        return registry.find(name).counters().stream().mapToDouble(Counter::count).sum();
    }

    /** One closed-loop client: one command outstanding; the next goes out when the previous one's result is in. */
    private static final class ClientLoop {
        final CohortClient client;
        private final byte[] command;
        private final Recorder recorder;
        private final AtomicBoolean running;
        private final AtomicLong failures;
        private final Queue<String> failureSamples;
        private final CountDownLatch stopped;
        volatile long submittedAt;
        volatile boolean inFlight;

        ClientLoop(CohortClient client, byte[] command, Recorder recorder, AtomicBoolean running, AtomicLong failures,
                   Queue<String> failureSamples, CountDownLatch stopped) {
            this.client = client;
            this.command = command;
            this.recorder = recorder;
            this.running = running;
            this.failures = failures;
            this.failureSamples = failureSamples;
            this.stopped = stopped;
        }

        void next() {
            long start = System.nanoTime();
            submittedAt = start;
            inFlight = true;
            client.submit(command).whenComplete((result, failure) -> done(start, failure));
        }

        private void done(long start, Throwable failure) {
            long end = System.nanoTime();
            inFlight = false;
            if (failure == null) {
                recorder.recordValue(end - start);
            } else {
                failures.incrementAndGet();
                if (failureSamples.size() < 10) {
                    failureSamples.add(String.format("client %x after %d ms: %s", client.clientId(),
                            (end - start) / 1_000_000, failure));
                }
            }
            if (!running.get()) {
                stopped.countDown();
            } else if (failure == null) {
                next();
            } else {
                // Not at once: a client failing on the spot would otherwise spin (or recurse).
                CompletableFuture.delayedExecutor(10, TimeUnit.MILLISECONDS).execute(this::next);
            }
        }
    }

    /** One replica JVM and what it printed. */
    private static final class Node {
        final String name;
        final Process process;
        private final PrintWriter in;
        final CompletableFuture<Integer> clientPort = new CompletableFuture<>();
        final BlockingQueue<String> statuses = new LinkedBlockingQueue<>();
        final BlockingQueue<String> metrics = new LinkedBlockingQueue<>();
        /** The last VIEW line: id, size, coordinator, members. */
        volatile String[] lastView;
        /** Set once the group formed: later views are reported as they come (they are news). */
        volatile boolean announceViews;
        volatile boolean closing;

        Node(String name, Process process) {
            this.name = name;
            this.process = process;
            this.in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
            Thread reader = new Thread(this::read, "stdout-" + name);
            reader.setDaemon(true);
            reader.start();
        }

        private void read() {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    if (line.startsWith("CLIENT ")) {
                        clientPort.complete(Integer.parseInt(line.substring(7).trim()));
                    } else if (line.startsWith("VIEW ")) {
                        lastView = line.substring(5).trim().split(" ");
                        if (announceViews && !closing) {
                            System.out.println("  NOTE: " + name + " installed a new view: " + line);
                        }
                    } else if (line.startsWith("STATUS ")) {
                        statuses.add(line);
                    } else if (line.startsWith("METRICS ")) {
                        metrics.add(line);
                    } else {
                        System.out.println(name + ": " + line);
                    }
                }
            } catch (IOException e) {
                System.out.println(name + ": stdout lost: " + e);
            }
            clientPort.completeExceptionally(new IOException(name + " exited before printing its client port"));
            if (!closing) {
                System.out.println("  NOTE: " + name + " exited unexpectedly");
            }
        }

        void command(String line) {
            in.println(line);
            in.flush();
        }

        long cpuNanos() {
            return process.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
        }
    }

    /** A group of replica JVMs on loopback. */
    private static final class Cluster implements AutoCloseable {
        final List<Node> nodes = new ArrayList<>();
        private Durability durability = Durability.MEMORY;
        long viewId;
        /** Member names in rank order; the first is the coordinator (the primary in primary-backup). */
        List<String> rankOrder;
        private final Map<String, Integer> clientPorts = new HashMap<>();

        static Cluster start(ReplicationMode mode, Durability durability, Path dataDir, int n, String heap)
                throws Exception {
            Cluster c = new Cluster();
            c.durability = durability;
            try {
                c.launch(mode, durability, dataDir, n, heap);
                c.awaitGroup(n, Duration.ofSeconds(60));
            } catch (Exception e) {
                c.close();
                throw e;
            }
            return c;
        }

        private void launch(ReplicationMode mode, Durability durability, Path dataDir, int n, String heap)
                throws Exception {
            List<Integer> ports = new ArrayList<>();
            List<String> seeds = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int port = ChildJvm.freePort();
                ports.add(port);
                seeds.add("127.0.0.1:" + port);
            }
            for (int i = 0; i < n; i++) {
                String name = "r" + (i + 1);
                List<String> options = new ArrayList<>(List.of("-Xmx" + heap, "-XX:+UseParallelGC",
                        "-Dcohort.clusterName=rsm-bench-" + mode.name().toLowerCase(Locale.ROOT) + "-"
                                + durability.name().toLowerCase(Locale.ROOT),
                        "-Dcohort.memberName=" + name, "-Dcohort.bindHost=127.0.0.1",
                        "-Dcohort.bindPort=" + ports.get(i), "-Dcohort.seeds=" + String.join(",", seeds),
                        "-Dbench.mode=" + mode.name(), "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                        "-Dbench.durability=" + durability.name()));
                if (durability != Durability.MEMORY) {
                    Path dir = Files.createDirectories(dataDir.resolve(name));
                    options.add("-Dbench.dataDir=" + dir.toAbsolutePath());
                }
                Process p = new ProcessBuilder(ChildJvm.command(options, ReplicaBenchmarkNode.class))
                        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
                nodes.add(new Node(name, p));
            }
            for (Node node : nodes) {
                clientPorts.put(node.name, node.clientPort.get(60, TimeUnit.SECONDS));
            }
        }

        /** Waits until every replica has installed the same view of {@code n} members. */
        private void awaitGroup(int n, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                String[] first = nodes.get(0).lastView;
                boolean formed = first != null && Integer.parseInt(first[1]) == n;
                for (Node node : nodes) {
                    String[] v = node.lastView;
                    formed &= v != null && first != null && v[0].equals(first[0]);
                }
                if (formed) {
                    viewId = Long.parseLong(first[0]);
                    rankOrder = List.of(first[3].split(","));
                    nodes.forEach(node -> node.announceViews = true);
                    return;
                }
                if (System.nanoTime() > deadline) {
                    StringBuilder seen = new StringBuilder();
                    nodes.forEach(node -> seen.append(' ').append(node.name).append('=')
                            .append(node.lastView == null ? "none" : String.join(" ", node.lastView)));
                    throw new IllegalStateException("no common view of " + n + " replicas within " + timeout + ":"
                            + seen);
                }
                TimeUnit.MILLISECONDS.sleep(20);
            }
        }

        boolean durable() {
            return durability != Durability.MEMORY;
        }

        /**
         * @return per replica: applied, apply count, apply nanos, append count, append nanos, sync
         *         count, sync nanos (cumulative); null for a replica that did not answer
         */
        long[][] metrics() throws InterruptedException {
            long[][] m = new long[nodes.size()][];
            for (Node node : nodes) {
                node.metrics.clear();
                if (node.process.isAlive()) {
                    node.command("metrics");
                }
            }
            for (int i = 0; i < nodes.size(); i++) {
                Node node = nodes.get(i);
                String line = node.process.isAlive() ? node.metrics.poll(10, TimeUnit.SECONDS) : null;
                if (line != null) {
                    String[] f = line.split(" ");
                    m[i] = new long[f.length - 1];
                    for (int j = 1; j < f.length; j++) {
                        m[i][j - 1] = Long.parseLong(f[j]);
                    }
                }
            }
            return m;
        }

        List<InetSocketAddress> endpointsByRank() {
            return rankOrder.stream().map(name -> new InetSocketAddress("127.0.0.1", clientPorts.get(name))).toList();
        }

        String roleOf(Node node) {
            return node.name.equals(rankOrder.get(0)) ? "coordinator" : "rank " + rankOrder.indexOf(node.name);
        }

        /** @return CPU time so far of each replica JVM, of this JVM, then of the whole machine (-1 if unknown) */
        long[] cpuNanos() {
            long[] cpu = new long[nodes.size() + 2];
            for (int i = 0; i < nodes.size(); i++) {
                cpu[i] = nodes.get(i).cpuNanos();
            }
            cpu[nodes.size()] = ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
            cpu[nodes.size() + 1] = machineBusyNanos();
            return cpu;
        }

        /**
         * @return CPU time the whole machine spent busy (all but idle and iowait) since boot, from
         *         Linux's /proc/stat, assuming the usual 100 ticks per second; -1 elsewhere
         */
        private static long machineBusyNanos() {
            try {
                String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
                long busy = 0;
                for (int i = 1; i < f.length && i <= 8; i++) {
                    if (i != 4 && i != 5) { // idle, iowait
                        busy += Long.parseLong(f[i]);
                    }
                }
                return busy * 10_000_000L;
            } catch (IOException | RuntimeException e) {
                return -1;
            }
        }

        /**
         * Asks every replica for its applied index and state hash until the indices are equal (the
         * backups may still be applying the last updates), then prints whether the hashes agree.
         */
        void checkAgreement() throws InterruptedException {
            List<String[]> statuses = new ArrayList<>();
            for (int attempt = 0; attempt < 50; attempt++) {
                statuses.clear();
                for (Node node : nodes) {
                    node.statuses.clear();
                    if (node.process.isAlive()) {
                        node.command("status");
                    }
                }
                boolean answered = true;
                for (Node node : nodes) {
                    String s = node.process.isAlive() ? node.statuses.poll(15, TimeUnit.SECONDS) : null;
                    // name STATUS viewId role appliedIndex hash
                    String[] p = (node.name + " " + (s == null ? "no answer" : s)).split(" ");
                    answered &= p.length == 6;
                    statuses.add(p);
                }
                if (!answered) {
                    break; // a replica died or hangs: report it rather than wait
                }
                if (statuses.stream().map(p -> p[4]).distinct().count() == 1) {
                    break;
                }
                TimeUnit.MILLISECONDS.sleep(200);
            }
            boolean agree = statuses.stream().allMatch(p -> p.length == 6)
                    && statuses.stream().map(p -> p[4] + "@" + p[5]).distinct().count() == 1;
            System.out.println((agree ? "replicas agree (STATUS viewId role appliedIndex hash): "
                    : "REPLICAS DO NOT AGREE OR DID NOT ANSWER: ")
                    + statuses.stream().map(p -> String.join(" ", p)).toList());
        }

        @Override
        public void close() throws InterruptedException {
            for (Node node : nodes) {
                node.closing = true;
                if (node.process.isAlive()) {
                    node.command("exit");
                }
            }
            for (Node node : nodes) {
                if (!node.process.waitFor(15, TimeUnit.SECONDS)) {
                    node.process.destroyForcibly();
                }
            }
        }
    }
}
