package io.cohort.protocol;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;
import io.cohort.protocol.wire.ProtocolMessage;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The freshness proof of linearizable reads: {@link GroupMember#confirmView} succeeds only with a
 * majority of the current view unwedged, and only after delivering everything held when it began.
 */
class ViewConfirmationTest {

    private static final MemberId A = MemberId.of("a", 1);
    private static final MemberId B = MemberId.of("b", 1);
    private static final MemberId C = MemberId.of("c", 1);

    private static int indexOf(List<Effect> effects, Class<? extends Effect> kind) {
        for (int i = 0; i < effects.size(); i++) {
            if (kind.isInstance(effects.get(i))) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void aHealthyViewIsConfirmed() {
        CoreWire w = new CoreWire(A, B, C);
        w.get(B).confirmView(7);
        w.run(0);
        assertThat(w.seen.get("b")).contains(new Effect.ViewConfirmed(7, 1));
    }

    @Test
    void theConfirmationComesAfterDeliveringWhatWasHeldWhenItBegan() {
        CoreWire w = new CoreWire(A, B, C);
        // c's acknowledgements do not reach a: a holds b's SAFE message but cannot deliver it yet.
        w.dropDirected = (from, to, m) -> from.equals(C) && to.equals(A) && m instanceof ProtocolMessage.Ack;
        w.get(B).multicast(DeliveryOrder.SAFE, new byte[] {1});
        w.run(0);
        assertThat(w.saw(A, Effect.Deliver.class)).isFalse();
        w.get(A).confirmView(1);
        w.run(0);
        assertThat(w.saw(A, Effect.ViewConfirmed.class)).as("confirmed before delivering what it held").isFalse();

        w.dropDirected = (from, to, m) -> false;
        w.run(3);
        List<Effect> seen = w.seen.get("a");
        assertThat(indexOf(seen, Effect.Deliver.class)).isNotNegative();
        assertThat(indexOf(seen, Effect.ViewConfirmed.class)).isGreaterThan(indexOf(seen, Effect.Deliver.class));
    }

    @Test
    void aMemberCutOffFromTheMajorityIsNeverConfirmed() {
        CoreWire w = new CoreWire(A, B, C);
        w.dropDirected = (from, to, m) -> from.equals(A) != to.equals(A);
        w.get(A).confirmView(3);
        w.run(5);
        assertThat(w.saw(A, Effect.ViewConfirmed.class)).isFalse();
        // Its own view change (it suspects the others) wedges it: the round fails instead of hanging.
        w.get(A).suspect(B);
        w.run(0);
        assertThat(w.seen.get("a")).contains(new Effect.ViewConfirmFailed(3));
        assertThat(w.saw(A, Effect.ViewConfirmed.class)).isFalse();
    }

    @Test
    void wedgedMembersDoNotConfirm() {
        CoreWire w = new CoreWire(A, B, C);
        // b and c start a view change without a: they wedge, and a does not hear of it.
        w.dropDirected = (from, to, m) -> to.equals(A) && !(m instanceof ProtocolMessage.ViewConfirmed);
        w.get(B).suspect(A);
        w.get(C).suspect(A);
        w.run(0);
        assertThat(w.get(B).isWedged() || w.get(B).view().viewId() > 1).isTrue();
        w.get(A).confirmView(9);
        w.run(3);
        assertThat(w.saw(A, Effect.ViewConfirmed.class)).isFalse();
    }

    @Test
    void theBrokenVariantConfirmsWithoutAMajority() {
        CoreWire w = new CoreWire(ProtocolConfig.defaults().withVariant(ProtocolVariant.READS_WITHOUT_CONFIRMATION), A, B, C);
        w.dropDirected = (from, to, m) -> from.equals(A) != to.equals(A);
        w.get(A).confirmView(4);
        w.run(0);
        assertThat(w.seen.get("a")).contains(new Effect.ViewConfirmed(4, 1));
    }

    @Test
    void aMemberWithoutStateOrOutsideAViewFailsAtOnce() {
        GroupMember joiner = new GroupMember(MemberId.of("j", 1), ProtocolConfig.defaults());
        joiner.join();
        joiner.takeEffects();
        joiner.confirmView(2);
        assertThat(joiner.takeEffects()).contains(new Effect.ViewConfirmFailed(2));
    }
}
