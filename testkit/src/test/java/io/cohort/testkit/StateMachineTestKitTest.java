package io.cohort.testkit;

import io.cohort.api.CommandContext;
import io.cohort.api.StateMachine;
import io.cohort.replication.ReplicationMode;
import io.cohort.simulation.replica.ReplicaProperty;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The kit's user API, end to end, on a tiny counter. */
class StateMachineTestKitTest {

    /** A counter that adds what it is told; optionally forgets to restore its snapshot. */
    static class Counter implements StateMachine {
        long value;

        @Override
        public byte[] apply(CommandContext context, byte[] command) {
            value += ByteBuffer.wrap(command).getLong();
            return ByteBuffer.allocate(8).putLong(value).array();
        }

        @Override
        public byte[] query(byte[] query) {
            return ByteBuffer.allocate(8).putLong(value).array();
        }

        @Override
        public void writeSnapshot(OutputStream out) throws IOException {
            new DataOutputStream(out).writeLong(value);
        }

        @Override
        public void restoreSnapshot(InputStream in) throws IOException {
            value = new DataInputStream(in).readLong();
        }
    }

    /** Forgets to restore its state: joiners start from zero. */
    static final class AmnesiacCounter extends Counter {
        @Override
        public void restoreSnapshot(InputStream in) throws IOException {
            new DataInputStream(in).readLong();
        }
    }

    /** Cannot write a snapshot. */
    static final class BrokenSnapshotCounter extends Counter {
        @Override
        public void writeSnapshot(OutputStream out) throws IOException {
            throw new IOException("disk full");
        }
    }

    private static byte[] add(long n) {
        return ByteBuffer.allocate(8).putLong(n).array();
    }

    private static <C extends Counter> StateMachineTestKit<C> counter(StateMachineTestKit<C> kit) {
        return kit.commands((random, client) -> add(1 + random.nextInt(5)))
                .queries(random -> new byte[0])
                .invariant("never negative", c -> c.value >= 0);
    }

    @Test
    void aCorrectMachinePassesAndTheReportCountsWhatHappened() {
        TestKitReport report = counter(StateMachineTestKit.forMachine(Counter::new)).schedules(20).run();

        assertThat(report.passed()).isTrue();
        assertThat(report.runs()).isEqualTo(20);
        assertThat(report.commandsAcknowledged()).isPositive();
        assertThat(report.linearizableReads()).isPositive();
        assertThat(report.crashes()).isPositive();
        assertThat(report.partitions()).isPositive();
        assertThat(report.joins()).isPositive();
        assertThat(report.leaves()).isPositive();
        assertThat(report.summary()).startsWith("20 run(s), 0 failed");
    }

    @Test
    void everyModeRunsWithAnExecutor() {
        for (ReplicationMode mode : ReplicationMode.values()) {
            TestKitReport report = counter(StateMachineTestKit.forMachine(Counter::new))
                    .mode(mode).executor(c -> (context, request) -> request).schedules(5).run();
            assertThat(report.commandsAcknowledged()).as("%s", mode).isPositive();
        }
    }

    @Test
    void aBrokenInvariantFailsTheTestNamingTheInvariantTheSeedAndTheReplay() {
        StateMachineTestKit<Counter> kit = counter(StateMachineTestKit.forMachine(Counter::new))
                .invariant("stays below 10", c -> c.value < 10)
                .checkInvariantsAfterEveryCommand()
                .schedules(3);

        assertThatThrownBy(kit::run).isInstanceOf(AssertionError.class)
                .hasMessageContaining("3 of 3 simulated schedule(s) broke a guarantee")
                .hasMessageContaining("INVARIANT: invariant \"stays below 10\" does not hold after applying")
                .hasMessageContaining("seed 1:")
                .hasMessageContaining("replay: mvn -q -pl testkit test "
                        + "-Dtest='StateMachineTestKitTest#aBrokenInvariantFailsTheTestNamingTheInvariantTheSeedAndTheReplay' "
                        + "-Dcohort.testkit.seed=1");
    }

    @Test
    void aMachineThatLosesItsStateInTransferIsCaughtByAgreement() {
        TestKitReport report = counter(StateMachineTestKit.forMachine(AmnesiacCounter::new))
                .schedules(16).stopAtFirstFailure().runAndReport();

        assertThat(report.failures()).isNotEmpty();
        assertThat(report.failures().get(0).properties()).contains(ReplicaProperty.AGREEMENT);
    }

    @Test
    void aFailingSeedReplaysToTheSameHistory() {
        StateMachineTestKit<AmnesiacCounter> kit = counter(StateMachineTestKit.forMachine(AmnesiacCounter::new))
                .firstSeed(5).schedules(1);

        TestKitReport first = kit.runAndReport();
        TestKitReport again = kit.runAndReport();

        assertThat(first.failures()).hasSize(1);
        assertThat(again.failures().get(0).trace()).isEqualTo(first.failures().get(0).trace());
        assertThat(again.failures().get(0).violations()).isEqualTo(first.failures().get(0).violations());
    }

    @Test
    void anExceptionFromUserCodeIsAFailingRunNotACrashedTest() {
        TestKitReport report = counter(StateMachineTestKit.forMachine(BrokenSnapshotCounter::new))
                .schedules(2).runAndReport();

        assertThat(report.failures()).hasSize(2);
        assertThat(report.failures().get(0).properties()).containsExactly(ReplicaProperty.RUN_ERROR);
        assertThat(report.failures().get(0).violations().get(0).detail()).contains("disk full");
    }

    @Test
    void withoutFaultsNothingIsInjected() {
        TestKitReport report = counter(StateMachineTestKit.forMachine(Counter::new))
                .faults(Faults.none()).schedules(3).run();

        assertThat(report.crashes() + report.partitions() + report.joins() + report.leaves()).isZero();
        assertThat(report.commandsAcknowledged()).isPositive();
    }

    @Test
    void misconfigurationIsRefusedUpFront() {
        assertThatThrownBy(() -> StateMachineTestKit.forMachine(Counter::new).run())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("commands(");
        assertThatThrownBy(() -> counter(StateMachineTestKit.forMachine(Counter::new))
                .mode(ReplicationMode.PRIMARY_BACKUP).run())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("executor(");
        assertThatThrownBy(() -> StateMachineTestKit.forMachine(Counter::new).replicas(2, 3))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StateMachineTestKit.forMachine(Counter::new).schedules(0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
