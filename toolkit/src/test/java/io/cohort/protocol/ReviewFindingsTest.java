package io.cohort.protocol;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;
import io.cohort.api.View;
import io.cohort.protocol.wire.Frame;
import io.cohort.protocol.wire.FrameCodec;
import io.cohort.protocol.wire.MalformedFrameException;
import io.cohort.protocol.wire.ProtocolMessage;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiPredicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * Regression tests for bugs a code review found in the core, each built as the smallest event
 * sequence that showed it.
 */
class ReviewFindingsTest {

    private static final MemberId A = MemberId.of("a", 1);
    private static final MemberId B = MemberId.of("b", 1);
    private static final MemberId C = MemberId.of("c", 1);

    /**
     * c suspects a and dies after telling only a. a then knows it is suspected and steps aside,
     * while b, which never heard, still waits for a: nobody led. A suspicion must be passed on.
     */
    @Test
    void aSuspicionWhoseAuthorDiesHalfwayStillReachesEveryone() {
        CoreWire w = new CoreWire(A, B, C);
        w.drop = (to, m) -> m instanceof ProtocolMessage.Suspect && to.equals(B);
        w.get(C).suspect(A);
        w.run(0);
        w.crashed.add("c");
        w.drop = (to, m) -> false;
        w.get(A).suspect(C);
        w.get(B).suspect(C);
        w.run(40);

        assertThat(w.get(B).view().viewId()).isGreaterThan(1);
        assertThat(w.get(B).view().contains(C)).isFalse();
    }

    /** A frame of view 0 reaching a joiner (no real view has id 0) once threw out of receive(). */
    @Test
    void aJoinerIgnoresAFrameOfViewZero() {
        GroupMember joiner = new GroupMember(MemberId.of("j", 1), ProtocolConfig.defaults());
        joiner.join();
        joiner.takeEffects();
        byte[] frame = FrameCodec.encodeReliable(A, joiner.self(), 1, 0,
                FrameCodec.encodeMessage(new ProtocolMessage.Leave(0)));

        assertThatCode(() -> joiner.receive(frame)).doesNotThrowAnyException();
        assertThat(joiner.counters().get(ProtocolCounters.Kind.STALE_VIEW)).isEqualTo(1);
        assertThat(joiner.status()).isEqualTo(GroupMember.Status.JOINING);
    }

    /**
     * The commit telling a leaver it is out was sent once, and the link to it dropped at install,
     * so a lost commit made the leaver end as EXCLUDED and report its delivered messages UNKNOWN.
     */
    @Test
    void aCleanLeaveEndsAsLeftEvenIfTheFirstCommitIsLost() {
        CoreWire w = new CoreWire(A, B, C);
        w.get(C).multicast(DeliveryOrder.SAFE, "last words".getBytes());
        w.run(2);
        boolean[] droppedOnce = {false};
        w.drop = (to, m) -> {
            if (to.equals(C) && m instanceof ProtocolMessage.Commit && !droppedOnce[0]) {
                droppedOnce[0] = true;
                return true;
            }
            return false;
        };
        w.get(C).leave();
        w.run(40);

        assertThat(droppedOnce[0]).isTrue();
        assertThat(w.get(C).status()).isEqualTo(GroupMember.Status.LEFT);
        assertThat(w.saw(C, Effect.Excluded.class)).isFalse();
        assertThat(w.get(A).view().members()).containsExactly(A, B);
    }

    /**
     * Every member leaving at once (a whole cluster shut down) left each waiting forever: none
     * may take the last copy of the state, and nobody stays to hand it to.
     */
    @Test
    void everyMemberLeavingAtOnceEndsAsLeft() {
        CoreWire w = new CoreWire(A, B, C);
        w.get(A).multicast(DeliveryOrder.TOTAL, "bye".getBytes());
        w.run(1);
        w.get(A).leave();
        w.get(B).leave();
        w.get(C).leave();
        w.run(40);

        for (MemberId m : List.of(A, B, C)) {
            assertThat(w.get(m).status()).as("%s", m).isEqualTo(GroupMember.Status.LEFT);
            assertThat(w.saw(m, Effect.Excluded.class)).isFalse();
        }
    }
}
