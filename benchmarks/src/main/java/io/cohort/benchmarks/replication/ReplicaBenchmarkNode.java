package io.cohort.benchmarks.replication;

import io.cohort.api.CommandContext;
import io.cohort.api.RequestExecutor;
import io.cohort.api.StateMachine;
import io.cohort.api.View;
import io.cohort.config.CohortConfig;
import io.cohort.config.ConfigLoader;
import io.cohort.recovery.DurableStorage;
import io.cohort.replication.Replica;
import io.cohort.replication.ReplicationMode;
import io.cohort.replication.storage.Durability;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * One replica JVM for {@link ReplicationBenchmark}, hosting a {@link Registers} state machine whose
 * apply costs next to nothing, so that the figures measure replication rather than the application.
 *
 * <p>Settings: {@code -Dcohort.*} (see {@link ConfigLoader}), {@code -Dbench.mode} (a
 * {@link ReplicationMode}, default ACTIVE), {@code -Dbench.clientPort} (default 0: any free
 * port), {@code -Dbench.durability} (a {@link Durability}, default MEMORY: no storage; LOG or SYNC:
 * a {@link DurableStorage} in {@code -Dbench.dataDir}, which must then be set, checkpointing every
 * {@code -Dbench.checkpointEvery} commands, default 100000). Prints {@code CLIENT <port>} once its
 * client server listens, and {@code VIEW <id> <size> <coordinator> <members>} at every view it
 * installs. Commands on stdin: {@code status} answers
 * {@code STATUS <viewId> <role> <appliedIndex> <hash>}; {@code metrics} answers
 * {@code METRICS <applied> <applyCount> <applyNanos> <appendCount> <appendNanos> <syncCount> <syncNanos>
 * <multicastsSent>} (cumulative counts and total times of the apply timer, the log append and the
 * log sync timers, 0 without storage; multicasts this member sent, of every order: commands, log
 * progress, state hashes); {@code exit} leaves the group and quits.
 */
public final class ReplicaBenchmarkNode {

    private ReplicaBenchmarkNode() {
    }

    /**
     * @param args unused; settings are system properties
     * @throws Exception if the replica cannot start
     */
    public static void main(String[] args) throws Exception {
        CohortConfig config = ConfigLoader.fromOverrides(System.getenv(), System.getProperties());
        ReplicationMode mode = ReplicationMode.valueOf(System.getProperty("bench.mode", "ACTIVE"));
        Durability durability = Durability.valueOf(System.getProperty("bench.durability", "MEMORY"));
        PrintStream console = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        // The same kind of registry at every durability level, so that the meters cost the same.
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Registers machine = new Registers();
        Replica.Builder builder = Replica.builder(config, machine).mode(mode).meterRegistry(registry)
                .clientPort(Integer.getInteger("bench.clientPort", 0))
                .viewListener(v -> console.println("VIEW " + v.viewId() + " " + v.size() + " " + v.coordinator().name()
                        + " " + v.members().stream().map(m -> m.name()).collect(Collectors.joining(","))));
        if (mode != ReplicationMode.ACTIVE) {
            builder.requestExecutor(machine.executor());
        }
        if (durability != Durability.MEMORY) {
            String dataDir = System.getProperty("bench.dataDir");
            if (dataDir == null) {
                throw new IllegalArgumentException("-Dbench.durability=" + durability + " needs -Dbench.dataDir");
            }
            builder.storage(DurableStorage.builder(Path.of(dataDir)).durability(durability)
                    .memberName(config.memberName())
                    .checkpointEveryCommands(Long.getLong("bench.checkpointEvery", 100_000))
                    .meterRegistry(registry).build());
        }
        Replica replica = builder.build();
        console.println("CLIENT " + replica.clientAddress().getPort());
        replica.joinAsync();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String command = line.trim();
            if (command.equals("status")) {
                Replica.StateHash h = replica.stateHash().get(10, TimeUnit.SECONDS);
                View v = replica.view();
                console.println("STATUS " + (v == null ? 0 : v.viewId()) + " " + replica.role() + " "
                        + h.appliedIndex() + " " + Long.toHexString(h.hash()));
            } else if (command.equals("metrics")) {
                console.println("METRICS " + (long) registry.find("cohort.replication.commands.applied").counter().count()
                        + " " + timer(registry, "cohort.replication.apply.latency")
                        + " " + timer(registry, "cohort.recovery.log.append.latency")
                        + " " + timer(registry, "cohort.recovery.log.sync.latency")
                        + " " + (long) registry.find("cohort.multicast.sent").counters().stream()
                                .mapToDouble(c -> c.count()).sum());
            } else if (command.equals("exit")) {
                break;
            }
        }
        replica.close();
        System.exit(0);
    }

    /** @return {@code <count> <total nanoseconds>} of the timer, {@code 0 0} if there is none */
    private static String timer(SimpleMeterRegistry registry, String name) {
        Timer t = registry.find(name).timer();
        return t == null ? "0 0" : t.count() + " " + (long) t.totalTime(TimeUnit.NANOSECONDS);
    }

    /**
     * 1,024 counters. A command is {@code 'A' key:int padding...}: it increments counter
     * {@code key mod 1024} and returns its new value (8 bytes). In primary-backup mode the
     * {@link #executor()} turns that request into the update {@code 'S' key:int value:long padding...}
     * (set the counter to the value it computed), which is what every replica applies; the padding
     * is carried along, so an update is as large as the request it came from.
     */
    static final class Registers implements StateMachine {

        static final byte ADD = 'A';
        static final byte SET = 'S';
        private static final int KEYS = 1024;

        private final long[] counters = new long[KEYS];

        /** @return the primary-backup executor: reads the state, produces a "set" update */
        RequestExecutor executor() {
            return (CommandContext context, byte[] request) -> {
                ByteBuffer in = ByteBuffer.wrap(request);
                if (request.length < 5 || in.get() != ADD) {
                    throw new IllegalArgumentException("not an add command");
                }
                int key = Math.floorMod(in.getInt(), KEYS);
                byte[] update = new byte[request.length + 8];
                ByteBuffer out = ByteBuffer.wrap(update);
                out.put(SET).putInt(key).putLong(counters[key] + 1);
                out.put(request, 5, request.length - 5);
                return update;
            };
        }

        @Override
        public byte[] apply(CommandContext context, byte[] command) {
            ByteBuffer in = ByteBuffer.wrap(command);
            byte op = command.length >= 5 ? in.get() : 0;
            int key;
            if (op == ADD) {
                key = Math.floorMod(in.getInt(), KEYS);
                counters[key]++;
            } else if (op == SET && command.length >= 13) {
                key = Math.floorMod(in.getInt(), KEYS);
                counters[key] = in.getLong();
            } else {
                // Deterministic at every replica, like any other result.
                return "unknown command".getBytes(StandardCharsets.UTF_8);
            }
            return ByteBuffer.allocate(8).putLong(counters[key]).array();
        }

        @Override
        public void writeSnapshot(OutputStream out) throws IOException {
            DataOutputStream data = new DataOutputStream(out);
            for (long c : counters) {
                data.writeLong(c);
            }
            data.flush();
        }

        @Override
        public void restoreSnapshot(InputStream in) throws IOException {
            DataInputStream data = new DataInputStream(in);
            for (int i = 0; i < KEYS; i++) {
                counters[i] = data.readLong();
            }
        }
    }
}
