package io.cohort.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.recovery.LocalDurableGroup.Node;
import io.cohort.recovery.LocalDurableGroup.Settings;
import io.cohort.recovery.log.LogRollCycle;
import io.cohort.replication.ReplicationMode;
import io.cohort.replication.storage.Durability;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Durable replicas in one JVM over real TCP: a replica restarted on its data directory restores its
 * checkpoint and log and catches up with only the suffix it missed, in every replication mode and
 * at both durable levels; all replicas stopped and restarted resume from their disks without
 * losing or repeating a command.
 */
class DurableReplicaTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({"ACTIVE, LOG", "ACTIVE, SYNC", "PRIMARY_BACKUP, LOG", "COORDINATOR_COHORT, SYNC"})
    void aRestartedReplicaCatchesUpWithTheLogSuffixItMissed(ReplicationMode mode, Durability durability)
            throws Exception {
        try (LocalDurableGroup group = new LocalDurableGroup("durable-suffix", dir, 3,
                new Settings(50, LogRollCycle.HOURLY, mode, durability))) {
            group.startAll();
            group.submit(group.node(0), 120);
            // Not the coordinator: a primary that leaves with updates in flight is sent a whole state.
            Node victim = group.nodes.stream().filter(n -> !n.isCoordinator()).reduce((a, b) -> b).orElseThrow();
            victim.stop();
            List<Node> rest = group.nodes.stream().filter(n -> n != victim).toList();
            group.awaitView(rest);
            group.submit(rest.get(0), 80);

            victim.start();
            group.awaitView(group.nodes);
            group.submit(rest.get(1), 10);
            group.assertAllAt(210);
            assertThat(victim.catchUps("suffix")).isEqualTo(1);
            assertThat(victim.catchUps("snapshot") + victim.catchUps("live")).isZero();
        }
    }

    @Test
    void everyReplicaRestartedFromDiskResumesWithNothingLostOrRepeated() throws Exception {
        try (LocalDurableGroup group = new LocalDurableGroup("durable-all", dir, 3, Settings.every(40))) {
            group.startAll();
            group.submit(group.node(1), 150);
            for (Node n : group.nodes) {
                n.stop();
            }
            for (int i = group.nodes.size() - 1; i >= 0; i--) {
                group.node(i).start();
            }
            group.awaitView(group.nodes);
            for (Node n : group.nodes) {
                assertThat(n.replica.view().viewId()).as("a restarted group goes on from its last view").isGreaterThan(3);
            }
            group.submit(group.node(2), 25);
            group.assertAllAt(175);
        }
    }
}
