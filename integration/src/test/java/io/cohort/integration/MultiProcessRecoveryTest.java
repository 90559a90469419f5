package io.cohort.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cohort.integration.harness.AuditClients;
import io.cohort.integration.harness.ReplicaProcesses;
import io.cohort.integration.harness.ReplicaProcesses.Slot;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durable replicas (level LOG) in three JVMs, with clients submitting commands throughout: a
 * replica killed with kill -9 recovers from its own disk and catches up with the log suffix it
 * missed; one that stayed down while its peers removed that log catches up with a checkpoint from
 * a peer's disk; after kill -9 of every replica, restarting them in a random order loses no
 * acknowledged command and applies none twice.
 */
class MultiProcessRecoveryTest {

    private static final int CLIENTS = 3;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;
    private ReplicaProcesses cluster;
    private List<Slot> slots;
    private AuditClients clients;
    private Map<String, String> acknowledged = Map.of();
    /** Properties every start of a replica in this test gets (on top of durability). */
    private Map<String, String> extra = Map.of();

    @AfterEach
    void stop() {
        if (clients != null) {
            clients.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Durable replicas at level LOG, each on its own data directory, plus {@code extra} properties. */
    private Map<String, String> durable(Slot s, Map<String, String> extra) {
        Map<String, String> props = new LinkedHashMap<>(extra);
        props.put("replica.dataDir", dir.resolve("data-" + s.name).toString());
        props.put("replica.durability", "LOG");
        return props;
    }

    private void startCluster(Map<String, String> settings) throws IOException {
        extra = settings;
        cluster = new ReplicaProcesses("durable", dir, 3, "d");
        slots = cluster.slots();
        for (Slot s : slots) {
            s.start(durable(s, extra));
        }
        cluster.awaitView(slots);
    }

    private static long[] catchUps(Slot s) {
        String[] p = s.process.request("catchup", "CATCHUP ", Duration.ofSeconds(20)).split(" ");
        return new long[] {Long.parseLong(p[1]), Long.parseLong(p[2]), Long.parseLong(p[3])};
    }

    private static long firstLogSequence(Slot s) {
        return Long.parseLong(s.process.request("log", "LOG ", Duration.ofSeconds(20)).split(" ")[1]);
    }

    private void startClients() {
        clients = new AuditClients(CLIENTS, cluster.clientEndpoints(), Duration.ofSeconds(120));
        acknowledged = clients.acknowledged();
    }

    private void stopClients() throws InterruptedException {
        assertThat(clients.stop(Duration.ofSeconds(150))).as("clients still in their last command").isEmpty();
    }

    private void awaitProgress(int more) {
        clients.awaitProgress(more);
    }

    private void assertConverged(List<Slot> replicas) {
        clients.assertAppliedExactlyOnceAt(replicas);
    }

    @Test
    void aKilledReplicaRecoversFromItsOwnDiskAndCatchesUpByLogSuffix() throws Exception {
        startCluster(Map.of());
        startClients();
        awaitProgress(300);

        Slot victim = slots.get(1);
        victim.process.kill9();
        List<Slot> survivors = slots.stream().filter(s -> s != victim).toList();
        cluster.awaitView(survivors);
        awaitProgress(300);

        victim.start(durable(victim, extra));
        cluster.awaitView(slots);
        awaitProgress(300);
        stopClients();

        assertThat(catchUps(victim)).as("catch-ups of the restarted replica: suffix, snapshot, live")
                .containsExactly(1, 0, 0);
        assertConverged(slots);
        System.out.printf("log-suffix catch-up: %d commands acknowledged; %s%n", acknowledged.size(),
                Arrays.toString(victim.status()));
    }

    @Test
    void aReplicaDownWhilePeersRemovedItsLogCatchesUpByCheckpoint() throws Exception {
        // Small checkpoints and one log file per second: peers soon remove the log the victim needs.
        startCluster(Map.of("replica.checkpointEvery", "200", "replica.rollCycle", "TEST_SECONDLY"));
        startClients();
        awaitProgress(300);

        Slot victim = slots.get(2);
        victim.process.kill9();
        List<Slot> survivors = slots.stream().filter(s -> s != victim).toList();
        cluster.awaitView(survivors);
        long victimReached = Long.parseLong(survivors.get(0).status()[5]);
        await().atMost(ReplicaProcesses.WAIT).until(() -> survivors.stream().allMatch(s -> firstLogSequence(s) > victimReached + 1));

        victim.start(durable(victim, extra));
        cluster.awaitView(slots);
        awaitProgress(300);
        stopClients();

        assertThat(catchUps(victim)).as("catch-ups of the restarted replica: suffix, snapshot, live")
                .containsExactly(0, 1, 0);
        assertConverged(slots);
        System.out.printf("checkpoint catch-up: %d commands acknowledged; victim was at or below %d%n",
                acknowledged.size(), victimReached);
    }

    @Test
    void afterKillingEveryReplicaARestartInAnyOrderKeepsEveryAcknowledgedCommandExactlyOnce() throws Exception {
        long seed = System.nanoTime();
        System.out.println("total-failure test: restart order seed " + seed);
        startCluster(Map.of("replica.checkpointEvery", "500"));
        startClients();
        awaitProgress(500);

        for (Slot s : slots) {
            s.process.kill9();
        }
        Map<String, String> acknowledgedBeforeCrash = Map.copyOf(acknowledged);

        List<Slot> order = new ArrayList<>(slots);
        // SplittableRandom mixes the seed: java.util.Random's first values follow close seeds closely.
        Collections.shuffle(order, new Random(new SplittableRandom(seed).nextLong()));
        // Two come back first and restart the group from the better of their disks (a majority of
        // the last view); the third, whatever its disk holds, rejoins that group and catches up.
        order.get(0).start(durable(order.get(0), extra));
        order.get(1).start(durable(order.get(1), extra));
        cluster.awaitView(order.subList(0, 2));
        order.get(2).start(durable(order.get(2), extra));
        cluster.awaitView(slots);
        awaitProgress(300);
        stopClients();

        assertThat(acknowledged).containsAllEntriesOf(acknowledgedBeforeCrash);
        assertConverged(slots);
        System.out.printf("total failure: %d acknowledged before the crash, %d in all; restart order %s%n",
                acknowledgedBeforeCrash.size(), acknowledged.size(), order.stream().map(s -> s.name).toList());
    }
}
