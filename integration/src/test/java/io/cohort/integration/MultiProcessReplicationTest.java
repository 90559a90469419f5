package io.cohort.integration;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.integration.harness.AuditClients;
import io.cohort.integration.harness.ReplicaProcesses;
import io.cohort.integration.harness.ReplicaProcesses.Slot;
import io.cohort.replication.ReplicationMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Three replicas in separate JVMs, each mode in turn, with clients submitting commands throughout:
 * kill -9 of the replica a client talks to, then (after it restarts and rejoins) kill -9 of the
 * coordinator (the primary in primary-backup). Afterwards every command acknowledged to a client
 * is applied exactly once on every surviving replica, and their state hashes agree. Clients fail
 * over by themselves; the test only keeps submitting.
 */
class MultiProcessReplicationTest {

    private static final int CLIENTS = 4;

    @TempDir
    Path dir;
    private ReplicaProcesses cluster;
    private AuditClients clients;

    @AfterEach
    void stop() {
        if (clients != null) {
            clients.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @ParameterizedTest
    @EnumSource(ReplicationMode.class)
    void acknowledgedCommandsSurviveKillingTheClientsReplicaAndTheCoordinator(ReplicationMode mode) throws Exception {
        cluster = new ReplicaProcesses("rsm-" + mode.name().toLowerCase(), dir, 3, "r");
        List<Slot> slots = cluster.slots();
        Map<String, String> props = Map.of("replica.mode", mode.name());
        for (Slot s : slots) {
            s.start(props);
        }
        cluster.awaitView(slots);

        clients = new AuditClients(CLIENTS, cluster.clientEndpoints(), Duration.ofSeconds(60));
        Map<String, String> acknowledged = clients.acknowledged();
        clients.awaitProgress(200);

        // 1. kill -9 the replica client 0 is talking to.
        int port = clients.clients().get(0).currentEndpoint().getPort();
        Slot clientsReplica = slots.stream().filter(s -> s.clientPort == port).findFirst().orElseThrow();
        clientsReplica.process.kill9();
        List<Slot> survivors = slots.stream().filter(s -> s != clientsReplica).toList();
        cluster.awaitView(survivors);
        clients.awaitProgress(200);
        assertThat(clients.clients().get(0).currentEndpoint().getPort()).as("client 0 failed over").isNotEqualTo(port);

        // 2. it restarts and rejoins with the state; then kill -9 the coordinator (rank 0: the primary).
        clientsReplica.start(props);
        cluster.awaitView(slots);
        clients.awaitProgress(200);
        String coordinatorName = survivors.get(0).lastViewMembers().get(0);
        Slot coordinator = slots.stream().filter(s -> s.name.equals(coordinatorName)).findFirst().orElseThrow();
        coordinator.process.kill9();
        List<Slot> last = slots.stream().filter(s -> s != coordinator).toList();
        cluster.awaitView(last);
        clients.awaitProgress(200);

        assertThat(clients.stop(Duration.ofSeconds(90))).as("clients still in their last command").isEmpty();

        // Every acknowledged command was applied exactly once, and the survivors agree.
        String agreed = clients.assertAppliedExactlyOnceAt(last);
        System.out.printf("%s: %d commands acknowledged; survivors at %s; client failovers %s%n", mode,
                acknowledged.size(), agreed, clients.clients().stream().map(c -> c.currentEndpoint().getPort() + "").toList());
    }

}
