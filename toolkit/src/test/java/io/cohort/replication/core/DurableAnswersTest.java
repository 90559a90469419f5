package io.cohort.replication.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.api.CommandContext;
import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;
import io.cohort.api.StateMachine;
import io.cohort.api.View;
import io.cohort.replication.ReadConsistency;
import io.cohort.replication.ReplicationMode;
import io.cohort.replication.wire.ClientRequest;
import io.cohort.replication.wire.ClientResponse;
import io.cohort.replication.wire.ResponseStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * At durability levels LOG and SYNC an answer waits until a majority of the view holds the commands
 * it depends on in its log; the log is written ahead of applying, one sequence per command.
 */
class DurableAnswersTest {

    private static final MemberId A = MemberId.of("a", 1);
    private static final MemberId B = MemberId.of("b", 1);
    private static final MemberId C = MemberId.of("c", 1);

    private static final class Counter implements StateMachine {
        long value;

        @Override
        public byte[] apply(CommandContext context, byte[] command) {
            return Long.toString(++value).getBytes();
        }

        @Override
        public byte[] query(byte[] query) {
            return Long.toString(value).getBytes();
        }

        @Override
        public void writeSnapshot(OutputStream out) throws IOException {
            out.write((int) value);
        }

        @Override
        public void restoreSnapshot(InputStream in) throws IOException {
            value = in.read();
        }
    }

    /** Records multicasts and appends; nothing is delivered unless the test says so. */
    private static final class Recorder implements ReplicaOutput {
        final List<byte[]> sent = new ArrayList<>();
        final List<Long> appended = new ArrayList<>();
        final List<Long> confirmations = new ArrayList<>();

        @Override
        public void multicast(DeliveryOrder order, byte[] payload) {
            sent.add(payload);
        }

        @Override
        public void confirmView(long token) {
            confirmations.add(token);
        }

        @Override
        public void divergent(long index, long ownHash, long agreedHash) {
        }

        @Override
        public void resync(String reason) {
        }

        @Override
        public long nowMillis() {
            return 1_000;
        }

        @Override
        public void append(long sequence, long viewId, MemberId sender, byte[] payload) {
            appended.add(sequence);
        }
    }

    private static ClientRequest command(long seq) {
        return new ClientRequest(ClientRequest.Kind.COMMAND, 9, seq, seq, ReadConsistency.LINEARIZABLE, new byte[0]);
    }

    private static ReplicaCore durableCore(Recorder out) {
        ReplicaCore core = new ReplicaCore(ReplicationMode.ACTIVE, new Counter(), null,
                ReplicaSettings.defaults().withHashInterval(0), out, new ReplicaObserver() { });
        core.requireDurableAnswers();
        core.onIncarnation(A);
        core.onView(new View(1, List.of(A, B, C)));
        return core;
    }

    private static byte[] progress(long sequence) {
        return EntryCodec.encode(new Entry.LogProgress(sequence));
    }

    @Test
    void aCommandIsAnsweredOnlyOnceAMajorityHasItInItsLog() {
        Recorder out = new Recorder();
        ReplicaCore core = durableCore(out);
        List<ClientResponse> answers = new ArrayList<>();
        core.submit(command(1), answers::add);
        byte[] entry = out.sent.remove(0);
        core.onDelivery(A, 1, entry);

        assertThat(out.appended).as("appended before it was applied").containsExactly(1L);
        assertThat(core.state().appliedIndex()).isEqualTo(1);
        assertThat(answers).as("applied, but held by no log yet").isEmpty();

        core.onLogProgress(1);
        assertThat(answers).as("only this member holds it: one of three").isEmpty();
        assertThat(out.sent).as("progress told to the group").hasSize(1);

        core.onDelivery(C, 1, progress(1));
        assertThat(answers).singleElement().satisfies(r -> assertThat(r.status()).isEqualTo(ResponseStatus.OK));
        assertThat(core.durableThrough()).isEqualTo(1);
    }

    @Test
    void theGroupLogSequenceIsTheFurthestAnyMemberOfTheViewReports() {
        Recorder out = new Recorder();
        ReplicaCore core = durableCore(out);
        assertThat(core.groupLogSequence()).isZero();
        core.onDelivery(B, 1, progress(5));
        assertThat(core.groupLogSequence()).as("B holds 5, this member nothing: it trails by 5").isEqualTo(5);
        assertThat(core.logSequence()).isZero();
        core.onDelivery(C, 1, progress(3));
        assertThat(core.groupLogSequence()).as("the furthest, not the majority's").isEqualTo(5);
        core.onView(new View(2, List.of(A, C)));
        assertThat(core.groupLogSequence()).as("B left the view: its report no longer counts").isEqualTo(3);
    }

    @Test
    void aLinearizableReadWaitsForTheStateItSawToBeDurableButAStaleOneDoesNot() {
        Recorder out = new Recorder();
        ReplicaCore core = durableCore(out);
        core.submit(command(1), r -> { });
        core.onDelivery(A, 1, out.sent.remove(0));

        List<ClientResponse> reads = new ArrayList<>();
        core.query(new ClientRequest(ClientRequest.Kind.QUERY, 5, 1, 1, ReadConsistency.LINEARIZABLE, new byte[0]),
                reads::add);
        core.query(new ClientRequest(ClientRequest.Kind.QUERY, 5, 2, 2, ReadConsistency.STALE, new byte[0]),
                reads::add);
        assertThat(reads).as("the stale read is answered at once").hasSize(1);
        core.onViewConfirmed(out.confirmations.get(0), 1);
        assertThat(reads).as("confirmed, but the state it shows is not durable").hasSize(1);

        core.onDelivery(B, 1, progress(1));
        core.onDelivery(C, 1, progress(1));
        assertThat(reads).hasSize(2);
        assertThat(new String(reads.get(1).payload())).isEqualTo("1");
    }

    @Test
    void reportsFromMembersOutsideTheViewDoNotCount() {
        Recorder out = new Recorder();
        ReplicaCore core = durableCore(out);
        List<ClientResponse> answers = new ArrayList<>();
        core.submit(command(1), answers::add);
        core.onDelivery(A, 1, out.sent.remove(0));
        core.onLogProgress(1);
        core.onDelivery(MemberId.of("d", 1), 1, progress(1));
        assertThat(answers).isEmpty();

        // B leaves: a view of two needs both.
        core.onView(new View(2, List.of(A, C)));
        assertThat(answers).isEmpty();
        core.onDelivery(C, 2, progress(1));
        assertThat(answers).hasSize(1);
    }

    @Test
    void leavingTheGroupTellsHeldBackClientsToRetry() {
        Recorder out = new Recorder();
        ReplicaCore core = durableCore(out);
        List<ClientResponse> answers = new ArrayList<>();
        core.submit(command(1), answers::add);
        core.onDelivery(A, 1, out.sent.remove(0));
        core.onExit();
        assertThat(answers).singleElement().satisfies(r -> assertThat(r.status()).isEqualTo(ResponseStatus.RETRY));
    }

    @Test
    void withoutDurableAnswersNothingIsHeldBack() {
        Recorder out = new Recorder();
        ReplicaCore core = new ReplicaCore(ReplicationMode.ACTIVE, new Counter(), null,
                ReplicaSettings.defaults().withHashInterval(0), out, new ReplicaObserver() { });
        core.onIncarnation(A);
        core.onView(new View(1, List.of(A, B, C)));
        List<ClientResponse> answers = new ArrayList<>();
        core.submit(command(1), answers::add);
        core.onDelivery(A, 1, out.sent.remove(0));
        assertThat(answers).hasSize(1);
        assertThat(out.appended).containsExactly(1L);
    }

    @Test
    void replayAppliesWithoutAppendingAndRefusesAnOutOfOrderSequence() {
        Recorder out = new Recorder();
        ReplicaCore core = durableCore(out);
        byte[] entry = EntryCodec.encode(new Entry.Command(9, 1, 1, 1_000, new byte[0]));
        core.replay(1, B, 1, entry, false);
        assertThat(core.logSequence()).isEqualTo(1);
        assertThat(core.state().appliedIndex()).isEqualTo(1);
        assertThat(out.appended).isEmpty();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> core.replay(3, B, 1,
                EntryCodec.encode(new Entry.Command(9, 2, 2, 1_000, new byte[0])), true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not follow");
        core.replay(2, B, 1, EntryCodec.encode(new Entry.Command(9, 2, 2, 1_000, new byte[0])), true);
        assertThat(out.appended).containsExactly(2L);
    }
}
