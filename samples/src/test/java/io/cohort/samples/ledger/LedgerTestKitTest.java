package io.cohort.samples.ledger;

import io.cohort.protocol.ProtocolVariant;
import io.cohort.replication.ReplicationMode;
import io.cohort.simulation.replica.ReplicaProperty;
import io.cohort.testkit.Faults;
import io.cohort.testkit.StateMachineTestKit;
import io.cohort.testkit.TestKitReport;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The bank ledger under the test kit: hundreds of simulated fault schedules (crashes, partitions,
 * leaves, joins, a lossy network) in each replication mode, every one checked for replica
 * agreement, exactly-once, durability, read freshness, liveness and the ledger's own invariants.
 * And the kit must catch a ledger with a replication bug, and a protocol that serves stale reads.
 *
 * <p>A failing seed prints its replay command, e.g.
 * {@code mvn -q -pl samples test -Dtest='LedgerTestKitTest#activeReplicationKeepsTheLedgerRight' -Dcohort.testkit.seed=17}.
 */
class LedgerTestKitTest {

    /** The ledger, its commands and queries, and what must always hold. */
    private static <L extends BankLedger> StateMachineTestKit<L> ledger(StateMachineTestKit<L> kit) {
        return kit.commands((random, client) -> BankLedger.randomTransfer(random))
                .queries(BankLedger::randomQuery)
                .invariant("money is conserved", l -> l.total() == BankLedger.INITIAL_TOTAL)
                .invariant("no account is overdrawn", l -> l.lowestBalance() >= 0)
                .checkInvariantsAfterEveryCommand();
    }

    @Test
    void activeReplicationKeepsTheLedgerRight() {
        TestKitReport report = ledger(StateMachineTestKit.forMachine(BankLedger::new))
                .mode(ReplicationMode.ACTIVE)
                .schedules(500)
                .run();

        System.out.println("ledger, active replication: " + report.summary());
        if (!report.replay()) {
            assertThat(report.runs()).as("schedules run (a soak may run more)").isGreaterThanOrEqualTo(500);
            assertFaultsAndWorkHappened(report);
        }
    }

    @Test
    void primaryBackupKeepsTheLedgerRight() {
        TestKitReport report = ledger(StateMachineTestKit.forMachine(BankLedger::new))
                .mode(ReplicationMode.PRIMARY_BACKUP)
                .executor(BankLedger::executor)
                .schedules(200)
                .run();

        System.out.println("ledger, primary-backup: " + report.summary());
        if (!report.replay()) {
            assertFaultsAndWorkHappened(report);
        }
    }

    @Test
    void coordinatorCohortKeepsTheLedgerRight() {
        TestKitReport report = ledger(StateMachineTestKit.forMachine(BankLedger::new))
                .mode(ReplicationMode.COORDINATOR_COHORT)
                .executor(BankLedger::executor)
                .schedules(200)
                .run();

        System.out.println("ledger, coordinator-cohort: " + report.summary());
        if (!report.replay()) {
            assertFaultsAndWorkHappened(report);
        }
    }

    @Test
    void aLedgerWhoseStateLivesOutsideItsSnapshotIsCaught() {
        // The buggy ledger conserves money, so only replica agreement can catch it, and only
        // once a replica has joined by state transfer.
        StateMachineTestKit<BuggyBankLedger> kit = ledger(StateMachineTestKit.forMachine(BuggyBankLedger::new))
                .schedules(50)
                .stopAtFirstFailure();

        TestKitReport report = kit.runAndReport();

        assertThat(report.failures()).as("the buggy ledger was not caught in %d schedules", report.runs()).isNotEmpty();
        TestKitReport.FailedRun first = report.failures().get(0);
        System.out.println("buggy ledger caught by seed " + first.seed() + ": " + first.violations().get(0)
                + "\n  replay: " + first.replayCommand());
        assertThat(first.properties()).contains(ReplicaProperty.AGREEMENT).doesNotContain(ReplicaProperty.INVARIANT);
        assertThat(first.replayCommand()).contains("-Dcohort.testkit.seed=" + first.seed())
                .contains("LedgerTestKitTest#aLedgerWhoseStateLivesOutsideItsSnapshotIsCaught");
        // run() turns the same finding into a test failure that names the seed and the replay command.
        assertThatThrownBy(kit::run).isInstanceOf(AssertionError.class)
                .hasMessageContaining("AGREEMENT").hasMessageContaining("replay: mvn -q -pl samples test");
    }

    @Test
    void staleReadsOfAProtocolThatSkipsTheReadConfirmationAreCaught() {
        // The protocol variant lets a replica answer a linearizable read without asking a
        // majority; partitions that isolate one replica while clients read from it expose it.
        TestKitReport report = ledger(StateMachineTestKit.forMachine(BankLedger::new))
                .protocolVariant(ProtocolVariant.READS_WITHOUT_CONFIRMATION)
                .faults(Faults.standard().isolatingPartitions(100))
                .reads(60, 0)
                .schedules(64)
                .stopAtFirstFailure()
                .runAndReport();

        assertThat(report.failures()).as("no stale read in %d schedules", report.runs()).isNotEmpty();
        TestKitReport.FailedRun first = report.failures().get(0);
        System.out.println("unconfirmed reads caught by seed " + first.seed() + ": " + first.violations().get(0));
        assertThat(first.properties()).contains(ReplicaProperty.READ_FRESHNESS);
    }

    private static void assertFaultsAndWorkHappened(TestKitReport report) {
        Set<String> missing = new TreeSet<>();
        if (report.crashes() == 0) {
            missing.add("crashes");
        }
        if (report.partitions() == 0 || report.isolations() == 0) {
            missing.add("partitions");
        }
        if (report.joins() == 0 || report.restarts() == 0) {
            missing.add("joins");
        }
        if (report.leaves() == 0) {
            missing.add("leaves");
        }
        assertThat(missing).as("fault kinds that never happened").isEmpty();
        // Every run must really work under faults: commands acknowledged, reads of both kinds answered.
        assertThat(report.commandsAcknowledged()).isGreaterThan(20L * report.runs());
        assertThat(report.linearizableReads()).isPositive();
        assertThat(report.staleReads()).isPositive();
        // Liveness (and the end-state checks) must be owed in nearly every run.
        assertThat(report.runsWithoutLiveness()).isLessThanOrEqualTo(report.runs() / 10);
    }
}
