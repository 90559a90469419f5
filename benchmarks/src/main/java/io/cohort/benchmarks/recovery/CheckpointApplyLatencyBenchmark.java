package io.cohort.benchmarks.recovery;

import io.cohort.benchmarks.ChildJvm;
import io.cohort.benchmarks.RunSummary;
import io.cohort.client.CohortClient;
import io.cohort.config.CohortConfig;
import io.cohort.recovery.DurableStorage;
import io.cohort.replication.Replica;
import io.cohort.replication.core.ReplicaSettings;
import io.cohort.replication.storage.Durability;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
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
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * Apply latency of a durable replica with and without a checkpoint in progress, for a state
 * machine with a large state that does or does not implement
 * {@link io.cohort.api.ConcurrentSnapshots}. A benchmark, not a test: nothing fails on a slow figure.
 *
 * <p>Everything runs in this JVM: one {@link Replica} forming a group of one on loopback, with a
 * {@link DurableStorage} (LOG by default) in a fresh directory per run, and {@link CohortClient}s
 * sending 100-byte commands at a fixed rate (open loop: a command is due every {@code 1/rate}
 * seconds whatever the answers do, spread round robin over the clients, several outstanding per
 * client). Each command increments a uniformly random counter of a {@link PagedCounters} state of
 * {@code --state-mb} MiB in pages of {@code --page-kb} KiB. The replica's state hash checks are off
 * (hash interval 0): they would serialize the whole state every 1,000 commands.
 *
 * <p>Phases, each a fresh replica and state:
 * <ul>
 *   <li>{@code none}: {@link PagedCounters}, no checkpoint (the checkpoint triggers set to never);</li>
 *   <li>{@code plain}: {@link PagedCounters} (no ConcurrentSnapshots: the capture serializes the
 *       whole state into memory on the apply thread), a checkpoint due every
 *       {@code --checkpoint-every} commands (default 1: back to back, a new one as soon as the
 *       previous one is written);</li>
 *   <li>{@code cow}: {@link CowPagedCounters} (copy-on-write pages), checkpoints as in {@code plain}.</li>
 * </ul>
 * After a warm-up, the measured period records: the achieved commands/s; client latency from the
 * moment each command was due to its answer (so a stall delays every command due during it); the
 * replica's {@code cohort.replication.apply.latency} and {@code cohort.recovery.log.append.latency}
 * timers (every value of the period, through {@link RecordingMeterRegistry}); the checkpoints
 * written ({@code cohort.recovery.checkpoint.duration}); the capture time on the apply thread (time
 * in {@code writeSnapshot}, resp. {@code captureSnapshot}, measured by the machine; the copy of the
 * serialized bytes out of the ByteArrayOutputStream is not included); the longest gap between two
 * applies; the longest stall of the whole process (a thread that asks to sleep 1 ms and records how
 * much longer it slept, as jHiccup does: safepoints, GC and CPU starvation show up there); the
 * bytes copied on write; this JVM's GC time; the 1-minute load average at the end.
 * The timer records the apply of each delivered command (log append included) but not the capture,
 * which runs on the apply thread between deliveries: it shows up in the gap and the client latency.
 *
 * <p>Usage: {@code CheckpointApplyLatencyBenchmark [--phases none,plain,cow] [--state-mb 512] [--page-kb 8]
 * [--rate 1000] [--clients 4] [--payload 100] [--prime 15] [--warmup 5] [--seconds 20] [--runs 3]
 * [--checkpoint-every 1] [--durability LOG] [--data-dir DIR]}. The runs are interleaved (run 1 of
 * every phase, then run 2...), so that a change in the machine's load spreads over the phases;
 * {@code --prime} is an unmeasured {@code cow} run first, for the JIT.
 */
public final class CheckpointApplyLatencyBenchmark {

    static final String APPLY = "cohort.replication.apply.latency";
    static final String APPEND = "cohort.recovery.log.append.latency";
    static final String CHECKPOINT = "cohort.recovery.checkpoint.duration";

    private CheckpointApplyLatencyBenchmark() {
    }

    /** What a run measures. */
    enum Phase {
        NONE("no checkpoint", false, false),
        PLAIN("checkpoints, machine without ConcurrentSnapshots", true, false),
        COW("checkpoints, copy-on-write machine (ConcurrentSnapshots)", true, true);

        final String description;
        final boolean checkpoints;
        final boolean cow;

        Phase(String description, boolean checkpoints, boolean cow) {
            this.description = description;
            this.checkpoints = checkpoints;
            this.cow = cow;
        }
    }

    /** Settings of every run. */
    record Settings(long stateBytes, int pageBytes, int rate, int clients, int payload, int warmup, int seconds,
                    long checkpointEvery, Durability durability, Path dataDir) {
    }

    /**
     * One measured run; times in microseconds unless named otherwise.
     */
    record Result(double commandsPerSecond, long clientP50, long clientP99, long clientP999, long clientMax,
                  long applyP50, long applyP99, long applyP999, long applyMax, double appendMean, long appendMax,
                  long checkpoints, double checkpointMeanMs, double checkpointMaxMs, double checkpointShare,
                  long captures, double captureMeanMs, double captureMaxMs, double maxGapMs, double hiccupMaxMs,
                  double copiedMb, long gcCount, long gcMs, long failures, double load) {
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
        List<Phase> phases = Arrays.stream(opt.getOrDefault("phases", "none,plain,cow").split(","))
                .map(p -> Phase.valueOf(p.trim().toUpperCase(Locale.ROOT))).toList();
        int runs = Integer.parseInt(opt.getOrDefault("runs", "3"));
        int prime = Integer.parseInt(opt.getOrDefault("prime", "15"));
        boolean ownDataDir = !opt.containsKey("data-dir");
        Path dataDir = ownDataDir ? Files.createTempDirectory("cohort-bench-checkpoints")
                : Files.createDirectories(Path.of(opt.get("data-dir")));
        Settings s = new Settings(Long.parseLong(opt.getOrDefault("state-mb", "512")) << 20,
                Integer.parseInt(opt.getOrDefault("page-kb", "8")) << 10,
                Integer.parseInt(opt.getOrDefault("rate", "1000")),
                Integer.parseInt(opt.getOrDefault("clients", "4")),
                Integer.parseInt(opt.getOrDefault("payload", "100")),
                Integer.parseInt(opt.getOrDefault("warmup", "5")),
                Integer.parseInt(opt.getOrDefault("seconds", "20")),
                Long.parseLong(opt.getOrDefault("checkpoint-every", "1")),
                Durability.valueOf(opt.getOrDefault("durability", "LOG")), dataDir);
        if (s.payload() < 5) {
            throw new IllegalArgumentException("--payload must be at least 5 bytes (operation and index)");
        }
        System.out.printf(Locale.ROOT, "phases=%s state=%dMiB pages=%d of %dKiB rate=%d/s clients=%d payload=%dB "
                        + "prime=%ds warmup=%ds seconds=%ds runs=%d checkpoint-every=%d durability=%s data-dir=%s "
                        + "heap=%dMiB cpus=%d%n", phases, s.stateBytes() >> 20,
                PagedCounters.pagesFor(s.stateBytes(), s.pageBytes()), s.pageBytes() >> 10, s.rate(), s.clients(),
                s.payload(), prime, s.warmup(), s.seconds(), runs, s.checkpointEvery(), s.durability(), dataDir,
                Runtime.getRuntime().maxMemory() >> 20, Runtime.getRuntime().availableProcessors());

        Map<Phase, List<Result>> results = new LinkedHashMap<>();
        phases.forEach(p -> results.put(p, new ArrayList<>()));
        try {
            if (prime > 0) {
                System.out.printf("priming the JIT: %s for %d s (not measured)%n", Phase.COW, prime);
                runOnce(Phase.COW, 0, new Settings(s.stateBytes(), s.pageBytes(), s.rate(), s.clients(), s.payload(),
                        prime, 0, s.checkpointEvery(), s.durability(), dataDir));
            }
            for (int run = 1; run <= runs; run++) {
                for (Phase phase : phases) {
                    Result r = runOnce(phase, run, s);
                    results.get(phase).add(r);
                    System.out.printf(Locale.ROOT, "%s run %d: %.0f cmds/s; client p50=%dus p99=%dus p999=%dus "
                                    + "max=%dus; apply p50=%dus p99=%dus p999=%dus max=%dus; append mean=%.1fus "
                                    + "max=%dus; checkpoints=%d mean=%.0fms max=%.0fms (%.0f%% of the period); "
                                    + "captures=%d mean=%.1fms max=%.1fms; longest gap between applies=%.1fms; "
                                    + "longest process stall=%.1fms; copied on write=%.0fMiB; gc=%d collections %dms; "
                                    + "failed=%d; load=%.2f%n",
                            phase, run, r.commandsPerSecond(), r.clientP50(), r.clientP99(), r.clientP999(),
                            r.clientMax(), r.applyP50(), r.applyP99(), r.applyP999(), r.applyMax(), r.appendMean(),
                            r.appendMax(), r.checkpoints(), r.checkpointMeanMs(), r.checkpointMaxMs(),
                            100 * r.checkpointShare(), r.captures(), r.captureMeanMs(), r.captureMaxMs(),
                            r.maxGapMs(), r.hiccupMaxMs(), r.copiedMb(), r.gcCount(), r.gcMs(), r.failures(),
                            r.load());
                }
            }
        } finally {
            if (ownDataDir) {
                deleteTree(dataDir);
            }
        }

        System.out.println();
        System.out.println("Median (min–max) of the runs; latencies in µs.");
        System.out.println("| phase | commands/s | apply p50 | apply p99 | apply p999 | apply max | client p50 | "
                + "client p99 | client max | load (1 min) |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        results.forEach((phase, rs) -> System.out.printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                phase.name().toLowerCase(Locale.ROOT), RunSummary.medianRange(rs, Result::commandsPerSecond, 0),
                RunSummary.medianRange(rs, Result::applyP50, 0), RunSummary.medianRange(rs, Result::applyP99, 0), RunSummary.medianRange(rs, Result::applyP999, 0),
                RunSummary.medianRange(rs, Result::applyMax, 0), RunSummary.medianRange(rs, Result::clientP50, 0), RunSummary.medianRange(rs, Result::clientP99, 0),
                RunSummary.medianRange(rs, Result::clientMax, 0), RunSummary.range(rs, Result::load)));
        System.out.println();
        System.out.println("| phase | checkpoints per run | checkpoint ms (mean) | checkpoint ms (max) | "
                + "% of period checkpointing | capture on apply thread ms (max) | longest gap between applies ms "
                + "| longest process stall ms | copied on write MiB | GC ms | append µs (mean) |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        results.forEach((phase, rs) -> System.out.printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                phase.name().toLowerCase(Locale.ROOT), RunSummary.medianRange(rs, Result::checkpoints, 0),
                RunSummary.medianRange(rs, Result::checkpointMeanMs, 0), RunSummary.medianRange(rs, Result::checkpointMaxMs, 0),
                RunSummary.medianRange(rs, r -> 100 * r.checkpointShare(), 0), RunSummary.medianRange(rs, Result::captureMaxMs, 1),
                RunSummary.medianRange(rs, Result::maxGapMs, 1), RunSummary.medianRange(rs, Result::hiccupMaxMs, 1), RunSummary.medianRange(rs, Result::copiedMb, 0),
                RunSummary.medianRange(rs, Result::gcMs, 0), RunSummary.medianRange(rs, Result::appendMean, 1)));
    }

    /** One fresh replica and state; {@code s.seconds() == 0}: unmeasured (returns null). */
    private static Result runOnce(Phase phase, int run, Settings s) throws Exception {
        System.gc(); // the previous run's state and checkpoint buffers, outside any measured period
        int pageLongs = s.pageBytes() / 8;
        int pageCount = PagedCounters.pagesFor(s.stateBytes(), s.pageBytes());
        PagedCounters machine = phase.cow ? new CowPagedCounters(pageCount, pageLongs)
                : new PagedCounters(pageCount, pageLongs);
        RecordingMeterRegistry registry = new RecordingMeterRegistry(Set.of(APPLY, APPEND, CHECKPOINT));
        Path dir = s.dataDir().resolve(phase.name().toLowerCase(Locale.ROOT) + "-" + run);
        DurableStorage.Builder storage = DurableStorage.builder(dir).durability(s.durability()).memberName("c1")
                .meterRegistry(registry);
        if (phase.checkpoints) {
            storage.checkpointEveryCommands(s.checkpointEvery());
        } else {
            storage.checkpointEveryCommands(Long.MAX_VALUE).checkpointEveryLogBytes(Long.MAX_VALUE);
        }
        int port = ChildJvm.freePort();
        CohortConfig config = CohortConfig.builder("checkpoint-bench-" + phase.name().toLowerCase(Locale.ROOT) + "-"
                        + run, "c1").bindHost("127.0.0.1").bindPort(port).seeds("127.0.0.1:" + port)
                .bootstrapTimeoutMillis(500).build();
        Replica replica = Replica.builder(config, machine).settings(ReplicaSettings.defaults().withHashInterval(0))
                .meterRegistry(registry).storage(storage.build()).clientHost("127.0.0.1").clientPort(0).build();
        List<CohortClient> clients = new ArrayList<>();
        Load load = null;
        Hiccups hiccups = new Hiccups();
        try {
            replica.join(Duration.ofSeconds(30));
            SimpleMeterRegistry clientRegistry = new SimpleMeterRegistry();
            for (int i = 0; i < s.clients(); i++) {
                clients.add(CohortClient.builder().endpoints(List.of(replica.clientAddress()))
                        .requestTimeout(Duration.ofSeconds(30)).overallTimeout(Duration.ofSeconds(120))
                        .meterRegistry(clientRegistry).build());
            }
            load = new Load(clients, s.rate(), s.payload(), (int) Math.min(Integer.MAX_VALUE, machine.size()),
                    1000L * run + phase.ordinal());
            load.start();
            hiccups.start();
            TimeUnit.SECONDS.sleep(s.warmup());
            if (s.seconds() == 0) {
                return null;
            }
            // Start of the measured period.
            load.latency.getIntervalHistogram();
            registry.interval(APPLY);
            registry.interval(APPEND);
            registry.interval(CHECKPOINT);
            hiccups.stalls.getIntervalHistogram();
            machine.resetStats();
            long[] gcBefore = gc();
            long failedBefore = load.failures.get();
            long completedBefore = load.completed.get();
            long from = System.nanoTime();
            TimeUnit.SECONDS.sleep(s.seconds());
            Histogram client = load.latency.getIntervalHistogram();
            Histogram apply = registry.interval(APPLY);
            Histogram append = registry.interval(APPEND);
            Histogram checkpoint = registry.interval(CHECKPOINT);
            Histogram stalls = hiccups.stalls.getIntervalHistogram();
            long completed = load.completed.get() - completedBefore;
            long to = System.nanoTime();
            long[] gcAfter = gc();
            long captures = machine.captures();
            double captureMeanMs = captures == 0 ? 0 : machine.captureNanos() / 1e6 / captures;
            double captureMaxMs = machine.captureMaxNanos() / 1e6;
            double maxGapMs = machine.maxGapNanos() / 1e6;
            double copiedMb = machine.copiedBytes() / (double) (1 << 20);
            long failures = load.failures.get() - failedBefore;
            double loadAverage = loadAverage();
            DistributionSummary size = registry.find("cohort.recovery.checkpoint.size").summary();
            if (size != null && size.count() > 0) {
                System.out.printf(Locale.ROOT, "  %s run %d: checkpoint size %.0f MiB; %d commands outstanding at "
                        + "the end of the period%n", phase, run, size.mean() / (1 << 20), load.outstanding.get());
            }
            long checkpoints = checkpoint.getTotalCount();
            return new Result(completed * 1e9 / (to - from), micros(client.getValueAtPercentile(50)),
                    micros(client.getValueAtPercentile(99)), micros(client.getValueAtPercentile(99.9)),
                    micros(client.getMaxValue()), micros(apply.getValueAtPercentile(50)),
                    micros(apply.getValueAtPercentile(99)), micros(apply.getValueAtPercentile(99.9)),
                    micros(apply.getMaxValue()), append.getMean() / 1000, micros(append.getMaxValue()), checkpoints,
                    checkpoints == 0 ? 0 : checkpoint.getMean() / 1e6,
                    checkpoints == 0 ? 0 : checkpoint.getMaxValue() / 1e6,
                    checkpoints * checkpoint.getMean() / (to - from), captures, captureMeanMs, captureMaxMs, maxGapMs,
                    stalls.getMaxValue() / 1e6, copiedMb, gcAfter[0] - gcBefore[0], gcAfter[1] - gcBefore[1], failures, loadAverage);
        } finally {
            hiccups.stop();
            if (load != null) {
                load.stop();
            }
            clients.forEach(CohortClient::close);
            replica.close();
            deleteTree(dir);
        }
    }

    /** Open-loop load: a command due every {@code 1/rate} s, round robin over the clients. */
    private static final class Load {
        final Recorder latency = new Recorder(3);
        final AtomicLong completed = new AtomicLong();
        final AtomicLong failures = new AtomicLong();
        final AtomicLong outstanding = new AtomicLong();
        private final List<CohortClient> clients;
        private final long intervalNanos;
        private final int payload;
        private final int counters;
        private final SplittableRandom random;
        private final Thread thread;
        private volatile boolean running = true;

        Load(List<CohortClient> clients, int rate, int payload, int counters, long seed) {
            this.clients = clients;
            this.intervalNanos = 1_000_000_000L / rate;
            this.payload = payload;
            this.counters = counters;
            this.random = new SplittableRandom(seed);
            this.thread = new Thread(this::run, "open-loop-load");
            this.thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        private void run() {
            byte[] command = new byte[payload];
            long next = System.nanoTime();
            int k = 0;
            while (running) {
                long now = System.nanoTime();
                if (now < next) {
                    LockSupport.parkNanos(next - now);
                    continue;
                }
                if (outstanding.get() > 100_000) {
                    System.out.println("  OVERLOADED: 100,000 commands outstanding; the load stops");
                    return;
                }
                long due = next;
                next += intervalNanos;
                PagedCounters.command(random.nextInt(counters), command);
                outstanding.incrementAndGet();
                // submit copies the command: the buffer is reused.
                clients.get(k).submit(command).whenComplete((result, failure) -> {
                    long end = System.nanoTime();
                    outstanding.decrementAndGet();
                    if (failure == null) {
                        latency.recordValue(end - due);
                        completed.incrementAndGet();
                    } else if (failures.getAndIncrement() < 5) {
                        System.out.println("  failed command: " + failure);
                    }
                });
                k = (k + 1) % clients.size();
            }
        }

        /** Stops sending and waits (up to 60 s) for the answers still due. */
        void stop() throws InterruptedException {
            running = false;
            thread.join(10_000);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (outstanding.get() > 0 && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(20);
            }
            if (outstanding.get() > 0) {
                System.out.printf("  %d commands still unanswered 60 s after the load stopped%n", outstanding.get());
            }
        }
    }

    /** A thread that sleeps 1 ms at a time and records how much longer than that each sleep took. */
    private static final class Hiccups {
        final Recorder stalls = new Recorder(3);
        private final Thread thread = new Thread(this::run, "hiccups");
        private volatile boolean running = true;

        Hiccups() {
            thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        void stop() {
            running = false;
        }

        private void run() {
            long asked = TimeUnit.MILLISECONDS.toNanos(1);
            while (running) {
                long start = System.nanoTime();
                LockSupport.parkNanos(asked);
                stalls.recordValue(Math.max(0, System.nanoTime() - start - asked));
            }
        }
    }

    /** @return collections and collection time (ms) of this JVM so far */
    private static long[] gc() {
        long count = 0;
        long ms = 0;
        for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
            count += Math.max(0, b.getCollectionCount());
            ms += Math.max(0, b.getCollectionTime());
        }
        return new long[] {count, ms};
    }

    /** @return the 1-minute load average (Linux), -1 if unknown */
    private static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static long micros(long nanos) {
        return Math.round(nanos / 1000.0);
    }




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
}
