package io.cohort.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.api.MemberId;
import io.cohort.protocol.wire.FrameCodec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A joiner's state hint (for example how much of the state it still has on disk) travels with its
 * join request, through the member that forwards it and the leader's proposal, to its donor.
 */
class JoinHintTest {

    private static final MemberId A = MemberId.of("a", 1);
    private static final MemberId B = MemberId.of("b", 1);
    private static final MemberId D = MemberId.of("d", 1);

    private static byte[] joinRequestOf(GroupMember joiner) {
        for (Effect e : joiner.takeEffects()) {
            if (e instanceof Effect.SendToSeeds s) {
                return s.frame();
            }
        }
        throw new AssertionError("the joiner sent no join request");
    }

    private static List<Effect.SnapshotRequested> snapshotRequests(CoreWire w) {
        List<Effect.SnapshotRequested> requests = new ArrayList<>();
        for (List<Effect> effects : w.seen.values()) {
            for (Effect e : effects) {
                if (e instanceof Effect.SnapshotRequested r) {
                    requests.add(r);
                }
            }
        }
        return requests;
    }

    @Test
    void theDonorReceivesTheHintTheJoinerSentToAMemberThatIsNotTheLeader() {
        CoreWire w = new CoreWire(A, B);
        GroupMember joiner = new GroupMember(D, ProtocolConfig.defaults());
        w.members.put("d", joiner);
        w.seen.put("d", new ArrayList<>());
        joiner.join(new byte[] {4, 2});
        // b is not the leader: it forwards the request to a, whose proposal carries the hint.
        w.get(B).receive(joinRequestOf(joiner));
        w.run(3);

        List<Effect.SnapshotRequested> requests = snapshotRequests(w);
        assertThat(requests).hasSize(1);
        assertThat(requests.get(0).joiner()).isEqualTo(D);
        assertThat(requests.get(0).joinerHint()).containsExactly(4, 2);
        assertThat(joiner.view()).isNotNull();
        assertThat(joiner.view().members()).contains(D);
    }

    @Test
    void aJoinerWithoutAHintGivesTheDonorAnEmptyOne() {
        CoreWire w = new CoreWire(A, B);
        GroupMember joiner = new GroupMember(D, ProtocolConfig.defaults());
        w.members.put("d", joiner);
        w.seen.put("d", new ArrayList<>());
        joiner.join();
        w.get(A).receive(joinRequestOf(joiner));
        w.run(3);

        assertThat(snapshotRequests(w)).singleElement().satisfies(r -> assertThat(r.joinerHint()).isEmpty());
    }

    @Test
    void anOversizedHintIsRefusedBeforeAnythingIsSent() {
        GroupMember joiner = new GroupMember(D, ProtocolConfig.defaults());
        assertThatThrownBy(() -> joiner.join(new byte[FrameCodec.MAX_STATE_HINT_BYTES + 1]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most");
        assertThat(joiner.status()).isEqualTo(GroupMember.Status.IDLE);
    }
}
