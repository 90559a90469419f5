package io.cohort.replication.core;

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
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** One replica core alone in a one-member view, its multicasts delivered straight back. */
class ReplicaCoreTest {

    private static final MemberId SELF = MemberId.of("a", 1);

    /** Counts commands; its snapshot can be made to fail. */
    private static final class Counter implements StateMachine {
        long value;
        boolean snapshotFails;

        @Override
        public byte[] apply(CommandContext context, byte[] command) {
            return Long.toString(++value).getBytes();
        }

        @Override
        public void writeSnapshot(OutputStream out) throws IOException {
            if (snapshotFails) {
                throw new IllegalStateException("cannot write");
            }
            out.write((int) value);
        }

        @Override
        public void restoreSnapshot(InputStream in) throws IOException {
            value = in.read();
        }
    }

    /** Loops multicasts back as deliveries, in order. */
    private static final class Loopback implements ReplicaOutput {
        final List<byte[]> sent = new ArrayList<>();

        @Override
        public void multicast(DeliveryOrder order, byte[] payload) {
            sent.add(payload);
        }

        @Override
        public void confirmView(long token) {
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

        void deliverAll(ReplicaCore core) {
            while (!sent.isEmpty()) {
                core.onDelivery(SELF, 1, sent.remove(0));
            }
        }
    }

    @Test
    void aMachineThatCannotWriteItsStateSkipsTheHashButStillAnswers() {
        Counter machine = new Counter();
        machine.snapshotFails = true;
        Loopback out = new Loopback();
        List<Long> failedAt = new ArrayList<>();
        ReplicaCore core = new ReplicaCore(ReplicationMode.ACTIVE, machine, null,
                ReplicaSettings.defaults().withHashInterval(1), out, new ReplicaObserver() {
                    @Override
                    public void hashFailed(long index, RuntimeException failure) {
                        failedAt.add(index);
                    }
                });
        core.onIncarnation(SELF);
        core.onView(new View(1, List.of(SELF)));
        List<ClientResponse> answers = new ArrayList<>();
        core.submit(new ClientRequest(ClientRequest.Kind.COMMAND, 9, 1, 1, ReadConsistency.LINEARIZABLE, new byte[0]),
                answers::add);
        out.deliverAll(core);

        assertThat(answers).singleElement().satisfies(r -> {
            assertThat(r.status()).isEqualTo(ResponseStatus.OK);
            assertThat(new String(r.payload())).isEqualTo("1");
        });
        assertThat(failedAt).containsExactly(1L);
        assertThat(out.sent).as("no hash report multicast").isEmpty();
    }
}
