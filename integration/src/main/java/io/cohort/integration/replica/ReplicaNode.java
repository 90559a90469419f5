package io.cohort.integration.replica;

import io.cohort.api.View;
import io.cohort.config.CohortConfig;
import io.cohort.config.ConfigLoader;
import io.cohort.recovery.DurableStorage;
import io.cohort.recovery.log.LogRollCycle;
import io.cohort.replication.Replica;
import io.cohort.replication.ReplicationMode;
import io.cohort.replication.storage.Durability;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * One replica process hosting an {@link AuditMachine}, for multi-process tests. Settings come from
 * {@code -Dcohort.*} properties (see {@link ConfigLoader}) plus {@code replica.mode} and
 * {@code replica.clientPort}. It joins at once, prints {@code CLIENT <port>} when its client server
 * listens and {@code VIEW <id> <members>} at every view, and answers {@code status} on stdin with
 * {@code STATUS <viewId> <role> <appliedIndex> <hash> <logSequence>}.
 *
 * <p>With {@code replica.dataDir} set it is durable ({@link DurableStorage}): {@code
 * replica.durability} (LOG or SYNC), {@code replica.checkpointEvery} (commands),
 * {@code replica.rollCycle} (a {@link LogRollCycle}). It then also answers {@code catchup} with
 * {@code CATCHUP <suffix> <snapshot> <live>}, how many times it caught up each way as a joiner, and
 * {@code log} with {@code LOG <first> <last>}, the log sequences its command log holds.
 */
public final class ReplicaNode {

    private ReplicaNode() {
    }

    private static long catchUps(SimpleMeterRegistry registry, String kind) {
        return (long) registry.find("cohort.recovery.catchup").tag("role", "joiner").tag("kind", kind).counters().stream()
                .mapToDouble(c -> c.count()).sum();
    }

    /**
     * @param args unused; settings are system properties
     * @throws Exception if the replica cannot start
     */
    public static void main(String[] args) throws Exception {
        CohortConfig config = ConfigLoader.fromOverrides(System.getenv(), System.getProperties());
        ReplicationMode mode = ReplicationMode.valueOf(System.getProperty("replica.mode", "ACTIVE"));
        int clientPort = Integer.getInteger("replica.clientPort", 0);
        PrintStream console = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DurableStorage storage = null;
        String dataDir = System.getProperty("replica.dataDir");
        if (dataDir != null) {
            storage = DurableStorage.builder(Path.of(dataDir))
                    .durability(Durability.valueOf(System.getProperty("replica.durability", "LOG")))
                    .memberName(config.memberName())
                    .checkpointEveryCommands(Long.getLong("replica.checkpointEvery", 100_000))
                    .rollCycle(LogRollCycle.valueOf(System.getProperty("replica.rollCycle", "HOURLY")))
                    .meterRegistry(registry)
                    .build();
        }
        Replica.Builder builder = Replica.builder(config, new AuditMachine()).mode(mode).clientPort(clientPort)
                .meterRegistry(registry)
                .viewListener(v -> console.println("VIEW " + v.viewId() + " " + v.members().stream()
                        .map(Object::toString).collect(Collectors.joining(","))));
        if (mode != ReplicationMode.ACTIVE) {
            builder.requestExecutor(AuditMachine.stampingExecutor());
        }
        if (storage != null) {
            builder.storage(storage);
        }
        Replica replica = builder.build();
        console.println("CLIENT " + replica.clientAddress().getPort());
        replica.joinAsync();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.trim().equals("status")) {
                Replica.StateHash h = replica.stateHash().get(10, TimeUnit.SECONDS);
                View v = replica.view();
                console.println("STATUS " + (v == null ? 0 : v.viewId()) + " " + replica.role() + " "
                        + h.appliedIndex() + " " + Long.toHexString(h.hash()) + " " + replica.logSequence());
            } else if (line.trim().equals("catchup")) {
                console.println("CATCHUP " + catchUps(registry, "suffix") + " " + catchUps(registry, "snapshot") + " "
                        + catchUps(registry, "live"));
            } else if (line.trim().equals("log") && storage != null) {
                console.println("LOG " + storage.firstLogSequence() + " " + storage.lastLogSequence());
            } else if (line.trim().equals("exit")) {
                break;
            }
        }
        replica.close();
        System.exit(0);
    }
}
