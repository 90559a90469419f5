package io.cohort.samples.rsm;

import io.cohort.config.CohortConfig;
import io.cohort.config.ConfigLoader;
import io.cohort.recovery.DurableStorage;
import io.cohort.replication.Replica;
import io.cohort.replication.ReplicationMode;
import io.cohort.replication.storage.Durability;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * Runs one replica of {@link NamedCounters}: the process a deployment starts on each host.
 * Settings come from an optional JSON/YAML file and {@code -Dcohort.*} properties (see
 * docs/configuration.md); {@code -Dcounters.clientPort} sets the port clients connect to, and
 * {@code -Dcounters.dataDir} makes the replica durable (level LOG, see docs/recovery.md): it then
 * restarts from that directory, and the group survives the loss of every replica at once.
 *
 * <pre>
 * java @toolkit/target/classes/io/cohort/jvm-flags.args -cp ... \
 *      -Dcohort.clusterName=counters -Dcohort.memberName=a -Dcohort.bindPort=7601 \
 *      -Dcohort.seeds=127.0.0.1:7601,127.0.0.1:7602,127.0.0.1:7603 -Dcounters.clientPort=7701 \
 *      io.cohort.samples.rsm.NamedCountersReplica
 * </pre>
 */
public final class NamedCountersReplica {

    private NamedCountersReplica() {
    }

    /**
     * @param args optional configuration file
     * @throws Exception if the replica cannot start or join
     */
    public static void main(String[] args) throws Exception {
        CohortConfig config = args.length > 0
                ? ConfigLoader.load(Path.of(args[0]), System.getenv(), System.getProperties())
                : ConfigLoader.fromOverrides(System.getenv(), System.getProperties());
        Replica.Builder builder = Replica.builder(config, new NamedCounters())
                .mode(ReplicationMode.ACTIVE)
                .clientPort(Integer.getInteger("counters.clientPort", 0))
                .viewListener(v -> System.out.println("view " + v.viewId() + ": " + v.members()));
        String dataDir = System.getProperty("counters.dataDir");
        if (dataDir != null) {
            builder.storage(DurableStorage.builder(Path.of(dataDir)).durability(Durability.LOG)
                    .memberName(config.memberName()).build());
        }
        Replica replica = builder.build();
        System.out.println(config.memberName() + " serves clients on " + replica.clientAddress());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            replica.close();
            stopped.countDown();
        }, "shutdown"));
        replica.join(Duration.ofSeconds(60));
        stopped.await();
    }
}
