package io.cohort.replication;

import io.cohort.api.RequestExecutor;
import io.cohort.replication.LocalReplicas.Slot;
import io.cohort.replication.core.ReplicaSettings;
import io.cohort.replication.wire.ClientRequest;
import io.cohort.replication.wire.ClientResponse;
import io.cohort.replication.wire.ResponseStatus;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Replicated state machines over real TCP, all replicas in this JVM: agreement, exactly-once
 * retries (across a snapshot too), linearizable reads under a partition, divergence detection, and
 * the handler side of primary-backup and coordinator-cohort.
 */
class ReplicaGroupTest {

    private static ClientRequest command(long clientId, long seq, long firstUnacknowledged, byte[] payload) {
        return new ClientRequest(ClientRequest.Kind.COMMAND, clientId, seq, firstUnacknowledged,
                ReadConsistency.LINEARIZABLE, payload);
    }

    private static ClientRequest query(long clientId, long seq, ReadConsistency c, byte[] payload) {
        return new ClientRequest(ClientRequest.Kind.QUERY, clientId, seq, seq, c, payload);
    }

    private static String text(ClientResponse r) {
        return new String(r.payload(), StandardCharsets.UTF_8);
    }

    private static void assertHashesAgree(List<Slot> slots) {
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            Set<Replica.StateHash> hashes = new HashSet<>();
            for (Slot s : slots) {
                hashes.add(s.replica.stateHash().get(10, TimeUnit.SECONDS));
            }
            assertThat(hashes).hasSize(1);
        });
    }

    @Test
    void activeReplicasApplyEveryCommandOnceAndAgree() throws Exception {
        try (LocalReplicas group = new LocalReplicas("rsm-active", 3, ReplicationMode.ACTIVE, ReplicaSettings.defaults())) {
            group.startAll(TextKeyValueMachine::new, null);
            group.awaitView(group.slots);
            List<CompletableFuture<ClientResponse>> answers = new ArrayList<>();
            for (int i = 1; i <= 300; i++) {
                Replica at = group.slot(i % 3).replica;
                // All outstanding at once: the client has acknowledged nothing yet (firstUnacknowledged 1).
                answers.add(at.handle(command(7, i, 1, TextKeyValueMachine.incr("c"))));
            }
            Set<String> results = new HashSet<>();
            for (CompletableFuture<ClientResponse> f : answers) {
                ClientResponse r = f.get(30, TimeUnit.SECONDS);
                assertThat(r.status()).isEqualTo(ResponseStatus.OK);
                results.add(text(r));
            }
            // Every increment applied exactly once: the results are 1..300, each once.
            assertThat(results).hasSize(300).contains("1", "300");
            for (Slot s : group.slots) {
                ClientResponse r = LocalReplicas.call(s.replica, query(8, 1, ReadConsistency.LINEARIZABLE,
                        TextKeyValueMachine.get("c")));
                assertThat(text(r)).isEqualTo("300");
            }
            assertHashesAgree(group.slots);
            assertThat(group.slot(0).count("cohort.replication.commands.applied")).isEqualTo(300);
        }
    }

    @Test
    void aRetriedCommandReturnsTheOriginalResultAndIsNotAppliedAgainEvenAfterASnapshot() throws Exception {
        try (LocalReplicas group = new LocalReplicas("rsm-dedup", 3, ReplicationMode.ACTIVE, ReplicaSettings.defaults())) {
            group.startAll(TextKeyValueMachine::new, null);
            group.awaitView(group.slots);
            ClientResponse first = LocalReplicas.call(group.slot(0).replica, command(42, 1, 1, TextKeyValueMachine.incr("x")));
            assertThat(text(first)).isEqualTo("1");
            long index = group.slot(0).replica.stateHash().get(10, TimeUnit.SECONDS).appliedIndex();
            assertThat(index).isEqualTo(1);

            // The client "failed over": the same (clientId, sequence) arrives at another replica.
            ClientResponse retry = LocalReplicas.call(group.slot(1).replica, command(42, 1, 1, TextKeyValueMachine.incr("x")));
            assertThat(retry.status()).isEqualTo(ResponseStatus.OK);
            assertThat(text(retry)).isEqualTo("1");
            // Counted when the retry arrives (if this replica already applied the original) or when
            // the retry's own entry is delivered (if it had not yet): either way, exactly once.
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    group.slot(1).count("cohort.replication.commands.deduplicated") == 1);

            // A new replica gets the state (session table included) by snapshot and restore.
            Slot joiner = group.add();
            group.start(joiner, new TextKeyValueMachine(), null);
            group.awaitView(group.slots);
            ClientResponse afterSnapshot = LocalReplicas.call(joiner.replica, command(42, 1, 1, TextKeyValueMachine.incr("x")));
            assertThat(text(afterSnapshot)).isEqualTo("1");
            assertThat(joiner.count("cohort.replication.commands.deduplicated")).isEqualTo(1);
            for (Slot s : group.slots) {
                assertThat(s.replica.stateHash().get(10, TimeUnit.SECONDS).appliedIndex()).isEqualTo(index);
                assertThat(text(LocalReplicas.call(s.replica, query(43, 1, ReadConsistency.LINEARIZABLE,
                        TextKeyValueMachine.get("x"))))).isEqualTo("1");
            }
            assertHashesAgree(group.slots);
        }
    }

    @Test
    void anIsolatedCoordinatorCannotServeAStaleLinearizableReadWhileTheMajorityGoesOn() throws Exception {
        try (LocalReplicas group = new LocalReplicas("rsm-isolated", 3, ReplicationMode.ACTIVE, ReplicaSettings.defaults())) {
            group.startAll(TextKeyValueMachine::new, null);
            group.awaitView(group.slots);
            Slot coordinator = group.slots.stream()
                    .filter(s -> s.replica.self().equals(s.replica.view().coordinator())).findFirst().orElseThrow();
            List<Slot> majority = group.slots.stream().filter(s -> s != coordinator).toList();
            assertThat(text(LocalReplicas.call(coordinator.replica, command(1, 1, 1, TextKeyValueMachine.set("k", "old")))))
                    .isEqualTo("OK");

            LocalReplicas.partition(List.of(coordinator), majority);
            // The majority side moves on without the coordinator and accepts a new value.
            group.awaitView(majority);
            assertThat(text(LocalReplicas.call(majority.get(0).replica, command(1, 2, 2, TextKeyValueMachine.set("k", "new")))))
                    .isEqualTo("OK");
            assertThat(text(LocalReplicas.call(majority.get(1).replica,
                    query(2, 1, ReadConsistency.LINEARIZABLE, TextKeyValueMachine.get("k"))))).isEqualTo("new");

            // The cut-off coordinator still holds "old" (a stale read shows it), but refuses a linearizable read.
            for (int i = 0; i < 3; i++) {
                ClientResponse r = LocalReplicas.call(coordinator.replica,
                        query(3, 10 + i, ReadConsistency.LINEARIZABLE, TextKeyValueMachine.get("k")));
                assertThat(r.status()).as("linearizable read at the isolated coordinator").isIn(
                        ResponseStatus.UNAVAILABLE, ResponseStatus.RETRY);
                assertThat(r.status().retriable()).isTrue();
            }
            assertThat(coordinator.count("cohort.membership.view.confirmations", "outcome", "failed")).isPositive();
            ClientResponse stale = LocalReplicas.call(coordinator.replica,
                    query(3, 20, ReadConsistency.STALE, TextKeyValueMachine.get("k")));
            if (stale.status() == ResponseStatus.OK) {
                assertThat(text(stale)).isEqualTo("old");
            }

            // After the heal the old coordinator rejoins (as a new incarnation, with the state) and reads "new".
            LocalReplicas.heal(group.slots);
            group.awaitView(group.slots);
            assertThat(text(LocalReplicas.call(coordinator.replica,
                    query(4, 1, ReadConsistency.LINEARIZABLE, TextKeyValueMachine.get("k"))))).isEqualTo("new");
            assertHashesAgree(group.slots);
        }
    }

    @Test
    void aNonDeterministicReplicaIsDetectedAndResyncs() throws Exception {
        ReplicaSettings settings = ReplicaSettings.defaults().withHashInterval(10);
        try (LocalReplicas group = new LocalReplicas("rsm-diverge", 3, ReplicationMode.ACTIVE, settings)) {
            Slot skewed = group.slot(2);
            group.start(group.slot(0), new TextKeyValueMachine(), null);
            group.start(group.slot(1), new TextKeyValueMachine(), null);
            group.start(skewed, new TextKeyValueMachine(true), null);
            group.awaitView(group.slots);
            var firstIncarnation = skewed.replica.self();
            for (int i = 1; i <= 40; i++) {
                assertThat(LocalReplicas.call(group.slot(0).replica, command(5, i, i, TextKeyValueMachine.incr("n"))).status())
                        .isEqualTo(ResponseStatus.OK);
            }
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    skewed.count("cohort.replication.divergence.detected") >= 1);
            assertThat(group.slot(0).count("cohort.replication.divergence.checks", "outcome", "mismatch")).isPositive();
            assertThat(group.slot(0).count("cohort.replication.divergence.checks", "outcome", "match")).isPositive();
            // The divergent replica left and came back as a new incarnation with the majority's state.
            await().atMost(Duration.ofSeconds(30)).until(() -> skewed.replica.view() != null
                    && !skewed.replica.self().equals(firstIncarnation) && skewed.replica.view().size() == 3);
            assertThat(text(LocalReplicas.call(skewed.replica,
                    query(6, 1, ReadConsistency.LINEARIZABLE, TextKeyValueMachine.get("n"))))).isEqualTo("40");
        }
    }

    /** Turns "INCR k" into "SET k <value+1>", reading the state and stamping a random nonce on the way. */
    private static final class IncrementExecutor implements RequestExecutor {
        private final TextKeyValueMachine machine;
        final List<String> executed = new ArrayList<>();

        IncrementExecutor(TextKeyValueMachine machine) {
            this.machine = machine;
        }

        @Override
        public byte[] execute(io.cohort.api.CommandContext context, byte[] request) {
            String key = new String(request, StandardCharsets.UTF_8).split(" ")[1];
            String stored = new String(machine.query(TextKeyValueMachine.get(key)), StandardCharsets.UTF_8);
            long current = stored.isEmpty() ? 0 : Long.parseLong(stored.split("#")[0]);
            executed.add(key);
            // Non-deterministic on purpose: only the handler runs this, and its update is what replicas apply.
            long nonce = ThreadLocalRandom.current().nextLong(1_000_000);
            return TextKeyValueMachine.set(key, (current + 1) + "#" + nonce);
        }
    }

    /** Starts every replica with its own machine and an executor reading that machine; waits for one view. */
    private static List<IncrementExecutor> startWithIncrementExecutors(LocalReplicas group) {
        List<IncrementExecutor> executors = new ArrayList<>();
        for (Slot s : group.slots) {
            TextKeyValueMachine m = new TextKeyValueMachine();
            IncrementExecutor e = new IncrementExecutor(m);
            executors.add(e);
            group.start(s, m, e);
        }
        group.awaitView(group.slots);
        return executors;
    }

    @Test
    void primaryBackupExecutesOnThePrimaryAndBackupsApplyItsUpdates() throws Exception {
        try (LocalReplicas group = new LocalReplicas("rsm-pb", 3, ReplicationMode.PRIMARY_BACKUP, ReplicaSettings.defaults())) {
            List<IncrementExecutor> executors = startWithIncrementExecutors(group);
            List<CompletableFuture<ClientResponse>> answers = new ArrayList<>();
            for (int i = 1; i <= 100; i++) {
                answers.add(group.slot(i % 3).replica.handle(command(9, i, 1, TextKeyValueMachine.incr("k"))));
            }
            for (CompletableFuture<ClientResponse> f : answers) {
                assertThat(f.get(30, TimeUnit.SECONDS).status()).isEqualTo(ResponseStatus.OK);
            }
            int primary = -1;
            for (int i = 0; i < 3; i++) {
                if ("primary".equals(group.slot(i).replica.role())) {
                    primary = i;
                }
            }
            assertThat(primary).isNotNegative();
            // Only the primary executed, and it saw each of its own earlier updates: the count reached 100.
            for (int i = 0; i < 3; i++) {
                assertThat(executors.get(i).executed).hasSize(i == primary ? 100 : 0);
            }
            String value = text(LocalReplicas.call(group.slot(1).replica,
                    query(10, 1, ReadConsistency.LINEARIZABLE, TextKeyValueMachine.get("k"))));
            assertThat(value).startsWith("100#");
            assertHashesAgree(group.slots);
        }
    }

    @Test
    void coordinatorCohortSpreadsRequestsOverTheRanks() throws Exception {
        try (LocalReplicas group = new LocalReplicas("rsm-cc", 3, ReplicationMode.COORDINATOR_COHORT, ReplicaSettings.defaults())) {
            List<IncrementExecutor> executors = startWithIncrementExecutors(group);
            for (int i = 1; i <= 60; i++) {
                // One key per request: requests handled by different members do not see each other.
                ClientResponse r = LocalReplicas.call(group.slot(0).replica, command(11, i, i, TextKeyValueMachine.incr("k" + i)));
                assertThat(r.status()).isEqualTo(ResponseStatus.OK);
            }
            int total = 0;
            for (IncrementExecutor e : executors) {
                assertThat(e.executed).as("each rank handles a share").isNotEmpty();
                total += e.executed.size();
            }
            assertThat(total).isEqualTo(60);
            assertHashesAgree(group.slots);
        }
    }
}
