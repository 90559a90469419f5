package io.cohort.benchmarks.recovery;

import io.cohort.config.CohortConfig;
import io.cohort.recovery.DurableStorage;
import io.cohort.recovery.log.LogRollCycle;
import io.cohort.replication.ReadConsistency;
import io.cohort.replication.Replica;
import io.cohort.replication.core.ReplicaSettings;
import io.cohort.replication.storage.Durability;
import io.cohort.replication.wire.ClientRequest;
import io.cohort.replication.wire.ClientResponse;
import io.cohort.replication.wire.ResponseStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One replica JVM of {@link LargeStateTransferBenchmark}, hosting a {@link LargeStateBlobMachine}
 * with a {@link DurableStorage} (LOG durability, one log file per second).
 *
 * <p>Settings (system properties): {@code bench.role} ({@code donor} or {@code joiner}),
 * {@code bench.dir} (its data directory: {@code state.blob} and {@code storage/}),
 * {@code bench.groupPort}, {@code bench.seedPort}, {@code bench.cluster}, {@code bench.stateBytes}
 * and {@code bench.commandBytes} (donor: grow the state to that size, that much per command),
 * optionally {@code bench.outboundQueueBytes} and {@code bench.retransmitMillis} (else the defaults).
 *
 * <p>The donor starts the group, grows its state, waits for the checkpoint that covers it, then
 * commits one more small command a second until the log files that checkpoint covers are removed
 * (a joiner can then only be caught up from the checkpoint), and prints
 * {@code READY length=.. crc=.. logFirst=.. logLast=..}. The joiner joins, and prints
 * {@code JOINED ...} with its figures (key=value). On stdin both answer {@code hash} with
 * {@code HASH length=.. crc=..} (read from the state file), {@code metrics} with
 * {@code METRICS ...}, and quit on {@code exit}.
 */
public final class LargeStateNode {

    private static final int MIB = 1 << 20;

    private LargeStateNode() {
    }

    /**
     * @param args unused; settings are system properties
     * @throws Exception if the replica fails
     */
    public static void main(String[] args) throws Exception {
        PrintStream console = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        LargeStateHeapWatch heap = new LargeStateHeapWatch();
        boolean donor = "donor".equals(System.getProperty("bench.role"));
        Path dir = Path.of(required("bench.dir"));
        String name = donor ? "donor" : "joiner";
        long stateBytes = Long.getLong("bench.stateBytes", 1L << 30);
        long commandBytes = Long.getLong("bench.commandBytes", 16L * MIB);
        long commands = (stateBytes + commandBytes - 1) / commandBytes;
        Files.createDirectories(dir);

        CohortConfig.Builder configBuilder = CohortConfig.builder(required("bench.cluster"), name).bindHost("127.0.0.1")
                .bindPort(Integer.parseInt(required("bench.groupPort")))
                .seeds("127.0.0.1:" + required("bench.seedPort"))
                .bootstrapTimeoutMillis(1000);
        // Transport and protocol settings left at their defaults unless the benchmark is told otherwise.
        if (System.getProperty("bench.outboundQueueBytes") != null) {
            configBuilder.outboundQueueBytes(Long.getLong("bench.outboundQueueBytes"));
        }
        if (System.getProperty("bench.retransmitMillis") != null) {
            configBuilder.retransmitMillis(Long.getLong("bench.retransmitMillis"));
        }
        CohortConfig config = configBuilder.build();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        LargeStateBlobMachine machine = new LargeStateBlobMachine(dir.resolve("state.blob"));
        DurableStorage storage = DurableStorage.builder(dir.resolve("storage")).durability(Durability.LOG)
                .memberName(name)
                // The donor checkpoints once, after its last "grow" command.
                .checkpointEveryCommands(commands)
                .rollCycle(LogRollCycle.TEST_SECONDLY)
                .meterRegistry(registry)
                .build();
        // No periodic state hash: it would read the whole state on the apply thread.
        Replica replica = Replica.builder(config, machine).storage(storage).meterRegistry(registry)
                .settings(ReplicaSettings.defaults().withHashInterval(0)).build();

        if (donor) {
            replica.join(Duration.ofMinutes(1));
            long start = System.nanoTime();
            long seq = 0;
            for (long i = 0; i < commands; i++) {
                long n = Math.min(commandBytes, stateBytes - i * commandBytes);
                command(replica, ++seq, LargeStateBlobMachine.grow(n, 0x5EED0000L + i));
                if ((i + 1) % Math.max(1, commands / 8) == 0) {
                    System.err.printf("donor: state at %d MiB%n", machine.length() / MIB);
                }
            }
            long growMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            // The checkpoint after the last command: written on the storage's own thread.
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (count(registry, "cohort.recovery.checkpoint.written") < 1) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no checkpoint written within 10 minutes");
                }
                Thread.sleep(100); // polling the checkpoint counter, which has no listener
            }
            long checkpointMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) - growMillis;
            // One small command a second: each new log file lets the storage remove older ones
            // that the checkpoint covers, until the log no longer starts at 1.
            deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            while (storage.firstLogSequence() <= 1) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the log still starts at " + storage.firstLogSequence());
                }
                Thread.sleep(1100); // the log rolls SECONDLY: only wall time makes a new file
                command(replica, ++seq, LargeStateBlobMachine.grow(0, 0));
            }
            long[] h = machine.hash();
            console.println("READY length=" + h[0] + " crc=" + Long.toHexString(h[1]) + " logFirst="
                    + storage.firstLogSequence() + " logLast=" + storage.lastLogSequence() + " growMillis=" + growMillis
                    + " checkpointMillis=" + checkpointMillis + " checkpointBytes="
                    + (long) summaryMax(registry, "cohort.recovery.checkpoint.size"));
        } else {
            long start = System.nanoTime();
            replica.join(Duration.ofMinutes(5));
            long joinNanos = System.nanoTime() - start;
            console.println("JOINED joinMillis=" + TimeUnit.NANOSECONDS.toMillis(joinNanos)
                    + " catchupSnapshot=" + catchUps(registry, "snapshot") + " catchupSuffix=" + catchUps(registry, "suffix")
                    + " catchupLive=" + catchUps(registry, "live")
                    + " catchupBytes=" + (long) summaryTotal(registry, "cohort.recovery.catchup.bytes", "joiner")
                    + " catchupMillis=" + timerMillis(registry, "cohort.recovery.catchup.duration", "joiner")
                    + " receiveToCheckpointMillis=" + timerMillis(registry, "cohort.recovery.checkpoint.duration", null)
                    + " verifyMillis=" + timerMillis(registry, "cohort.recovery.checkpoint.verify.duration", null)
                    + " restoreMillis=" + TimeUnit.NANOSECONDS.toMillis(machine.restoreNanos())
                    + " restoredBytes=" + machine.restoredBytes()
                    + " stateTransferBytes=" + (long) counter(registry, "cohort.statetransfer.bytes", "joiner")
                    + " stateTransferMillis=" + timerMillis(registry, "cohort.statetransfer.duration", "joiner")
                    + " stateFailures=" + (long) count(registry, "cohort.statetransfer.failures")
                    + " " + heap.report());
        }

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String command = line.trim();
            if (command.equals("hash")) {
                ClientResponse r = replica.handle(new ClientRequest(ClientRequest.Kind.QUERY, 2, 1, 1,
                        ReadConsistency.STALE, LargeStateBlobMachine.hashQuery())).get(10, TimeUnit.MINUTES);
                if (r.status() != ResponseStatus.OK) {
                    throw new IllegalStateException("hash query: " + r.status() + " "
                            + new String(r.payload(), StandardCharsets.UTF_8));
                }
                ByteBuffer b = ByteBuffer.wrap(r.payload());
                console.println("HASH length=" + b.getLong() + " crc=" + Long.toHexString(b.getLong())
                        + " appliedIndex=" + replica.appliedIndex() + " logSequence=" + replica.logSequence());
            } else if (command.equals("metrics")) {
                console.println("METRICS role=" + name
                        + " stateTransferBytes=" + (long) counter(registry, "cohort.statetransfer.bytes", name)
                        + " stateTransferMillis=" + timerMillis(registry, "cohort.statetransfer.duration", name)
                        + " catchupBytes=" + (long) summaryTotal(registry, "cohort.recovery.catchup.bytes", name)
                        + " catchupMillis=" + timerMillis(registry, "cohort.recovery.catchup.duration", name)
                        + " bytesSent=" + (long) count(registry, "cohort.transport.bytes.sent")
                        + " bytesReceived=" + (long) count(registry, "cohort.transport.bytes.received")
                        + " framesDropped=" + (long) count(registry, "cohort.transport.frames.dropped")
                        + " retransmissions=" + (long) functionCount(registry, "cohort.protocol.retransmissions")
                        + " suspicions=" + (long) count(registry, "cohort.membership.suspicions")
                        + " " + heap.report());
            } else if (command.equals("exit")) {
                break;
            }
        }
        replica.close();
        machine.close();
        heap.close();
        System.exit(0);
    }

    private static String required(String property) {
        String v = System.getProperty(property);
        if (v == null) {
            throw new IllegalArgumentException("-D" + property + " is required");
        }
        return v;
    }

    private static void command(Replica replica, long seq, byte[] payload) throws Exception {
        ClientResponse r = replica.handle(new ClientRequest(ClientRequest.Kind.COMMAND, 1, seq, seq,
                ReadConsistency.LINEARIZABLE, payload)).get(5, TimeUnit.MINUTES);
        if (r.status() != ResponseStatus.OK) {
            throw new IllegalStateException("command " + seq + ": " + r.status() + " "
                    + new String(r.payload(), StandardCharsets.UTF_8));
        }
    }

    private static long catchUps(SimpleMeterRegistry registry, String kind) {
        return (long) registry.find("cohort.recovery.catchup").tag("role", "joiner").tag("kind", kind).counters()
                .stream().mapToDouble(Counter::count).sum();
    }

    private static double count(SimpleMeterRegistry registry, String name) {
        return registry.find(name).counters().stream().mapToDouble(Counter::count).sum();
    }

    private static double functionCount(SimpleMeterRegistry registry, String name) {
        return registry.find(name).functionCounters().stream().mapToDouble(FunctionCounter::count).sum();
    }

    private static double counter(SimpleMeterRegistry registry, String name, String role) {
        return registry.find(name).tag("role", role).counters().stream().mapToDouble(Counter::count).sum();
    }

    private static double summaryTotal(SimpleMeterRegistry registry, String name, String role) {
        return registry.find(name).tag("role", role).summaries().stream().mapToDouble(DistributionSummary::totalAmount)
                .sum();
    }

    private static double summaryMax(SimpleMeterRegistry registry, String name) {
        return registry.find(name).summaries().stream().mapToDouble(DistributionSummary::max).max().orElse(0);
    }

    private static long timerMillis(SimpleMeterRegistry registry, String name, String role) {
        var search = role == null ? registry.find(name) : registry.find(name).tag("role", role);
        return (long) search.timers().stream().mapToDouble(t -> t.totalTime(TimeUnit.MILLISECONDS)).sum();
    }
}
