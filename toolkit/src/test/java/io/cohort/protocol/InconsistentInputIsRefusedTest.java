package io.cohort.protocol;

import io.cohort.api.MemberId;
import io.cohort.protocol.BadInputIsIgnoredTest.Net;
import io.cohort.protocol.ProtocolCounters.Kind;
import io.cohort.protocol.wire.Frame;
import io.cohort.protocol.wire.FrameCodec;
import io.cohort.protocol.wire.OrderRuns;
import io.cohort.protocol.wire.Proposal;
import io.cohort.protocol.wire.ProtocolMessage;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.cohort.protocol.BadInputIsIgnoredTest.decode;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * Well-formed messages whose content is inconsistent with the view (found while writing
 * {@link BadInputIsIgnoredTest}; each once crashed or misled the core). Each test states the
 * behaviour the contract of {@link GroupMember} asks for: bad input never throws, is counted, and
 * leaves the group as it was. The comment on each says what used to happen, so that a regression
 * is recognised.
 *
 * <p>Forged messages from real members are delivered in place of an acknowledgement the member
 * really sent, under its link sequence number, so they reach the check under test (see
 * {@link Net#injectInPlaceOfNextAck}).
 */
class InconsistentInputIsRefusedTest {

    private static final MemberId A = MemberId.of("a", 1);
    private static final MemberId B = MemberId.of("b", 1);
    private static final MemberId C = MemberId.of("c", 1);
    private static final MemberId INTRUDER = MemberId.of("z", 1);

    /** Counters that mean "this input was refused". */
    private static final Set<Kind> REFUSED = Set.of(Kind.INVALID_CONTENT, Kind.FROM_NON_MEMBER);

    /**
     * A Commit whose order tail names rank 7 in a view of three. It used to make install() call
     * ViewMessages.deliverCut, which indexed the stream logs with rank 7 and threw
     * ArrayIndexOutOfBoundsException out of receive().
     */
    @Test
    void commitWithOrderTailRankOutsideTheViewIsRefused() {
        Net net = Net.threeMembers(1);
        Proposal p = sameMembersNextView(new OrderRuns(new int[] {7}, new long[] {1}, new long[] {1}));

        Map<Kind, Long> change = net.injectInPlaceOfNextAck("b", "a", new ProtocolMessage.Commit(1, p));

        assertRefusedOnce(change);
        net.runToQuiescence();
        net.assertGroupUnaffected(1, "a");
    }

    /**
     * A Commit whose order tail names TOTAL messages 1..3 of b, which nobody sent (and which its
     * own cut frontiers, all zero, exclude). It used to make deliverCut read past the stream log,
     * get null, and GroupMember.deliver throw NullPointerException out of receive().
     */
    @Test
    void commitWithOrderTailBeyondItsCutIsRefused() {
        Net net = Net.threeMembers(1);
        Proposal p = sameMembersNextView(new OrderRuns(new int[] {1}, new long[] {1}, new long[] {3}));

        Map<Kind, Long> change = net.injectInPlaceOfNextAck("b", "a", new ProtocolMessage.Commit(1, p));

        assertRefusedOnce(change);
        net.runToQuiescence();
        net.assertGroupUnaffected(1, "a");
    }

    /**
     * A Commit from an identity that is in neither the current view nor the proposed one (so it
     * can be neither the leader nor a joiner passing the commit on). dispatch() used to handle
     * Commit before any membership check, and a#1, not listed in the proposal, exited as
     * EXCLUDED with nothing counted.
     */
    @Test
    void commitFromAnIdentityInNeitherViewIsIgnored() {
        Net net = Net.threeMembers(1);
        Proposal withoutA = new Proposal(1, 2, List.of(B, C), List.of(), List.of(), new long[9], 0, OrderRuns.EMPTY);
        byte[] frame = FrameCodec.encodeReliable(INTRUDER, A, 1, 0,
                FrameCodec.encodeMessage(new ProtocolMessage.Commit(1, withoutA)));

        Map<Kind, Long> before = net.counters("a").snapshot();
        net.deliver("a", frame);

        assertRefusedOnce(BadInputIsIgnoredTest.delta(before, net.counters("a").snapshot()));
        net.runToQuiescence();
        net.assertGroupUnaffected(1, "b");
    }

    /**
     * A Commit for view 1 whose next view is 1000 (a proposal always names oldViewId + 1). a#1 used
     * to install view 1000 and pass the commit on, so the whole group jumped to view 1000.
     */
    @Test
    void commitThatSkipsViewIdsIsRefused() {
        Net net = Net.threeMembers(1);
        Proposal skipping = new Proposal(1, 1000, List.of(A, B, C), List.of(), List.of(), new long[9], 0,
                OrderRuns.EMPTY);

        Map<Kind, Long> change = net.injectInPlaceOfNextAck("b", "a", new ProtocolMessage.Commit(1, skipping));

        assertRefusedOnce(change);
        net.runToQuiescence();
        net.assertGroupUnaffected(1, "c");
    }

    /**
     * An Order message from the coordinator with one run of 2^40 positions: 29 bytes on the wire.
     * ViewMessages.receiveOrder used to append every position to the OrderLog one by one, until
     * OutOfMemoryError escaped receive() (OrderLog.append). The codec bounds
     * what a frame can make it allocate; the core must too.
     */
    @Test
    void orderRunWithAHugeCountDoesNotExhaustMemory() {
        Net net = Net.threeMembers(1);
        ProtocolMessage.Order huge = new ProtocolMessage.Order(1, 1,
                new OrderRuns(new int[] {0}, new long[] {1}, new long[] {1L << 40}));

        Map<Kind, Long> change = net.injectInPlaceOfNextAck("a", "b", huge);

        // The decoder refuses a run that long outright.
        assertThat(change).containsEntry(Kind.MALFORMED_FRAME, 1L);
        net.runToQuiescence();
        net.assertGroupUnaffected(1, "b");
    }

    /** A run short enough to decode, but far ahead of any data b holds, is refused by the view's store. */
    @Test
    void orderRunFarAheadOfTheDataIsRefused() {
        Net net = Net.threeMembers(1);
        ProtocolMessage.Order ahead = new ProtocolMessage.Order(1, 1,
                new OrderRuns(new int[] {0, 0}, new long[] {1, (1L << 20) + 1}, new long[] {1L << 19, 1L << 19}));

        Map<Kind, Long> change = net.injectInPlaceOfNextAck("a", "b", ahead);

        assertRefusedOnce(change);
        net.runToQuiescence();
        net.assertGroupUnaffected(1, "b");
    }

    /**
     * Real frames of every shape with one bit (or a whole byte) of the message flipped, delivered
     * in place of the genuine frame under its link sequence number, as if a corrupted datagram had
     * passed the transport. The group may well be damaged then (that is what the transport's
     * checksum is for), but receive() must still never throw. Flips in the run length of an
     * Order message (e.g. byte 70 ^ 0x01) used to end in OutOfMemoryError, as above.
     */
    @Test
    void flippedMessageBytesInPlaceOfTheGenuineFrameNeverThrow() {
        int bootstrapFrames = Net.threeMembers(1).history().size();
        Net reference = scenario();
        reference.runToQuiescence();
        Map<String, Integer> firstOfShape = new LinkedHashMap<>();
        for (int i = bootstrapFrames; i < reference.history().size(); i++) {
            firstOfShape.putIfAbsent(Net.shapeOf(decode(reference.history().get(i).bytes())), i);
        }
        int[] masks = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xFF};
        for (var shape : firstOfShape.entrySet()) {
            Frame genuine = decode(reference.history().get(shape.getValue()).bytes());
            if (genuine.kind() != Frame.Kind.RELIABLE) {
                continue;
            }
            int headerLength = FrameCodec.encodeReliable(genuine.from(), genuine.to(), genuine.linkSeq(),
                    genuine.linkAck(), new byte[0]).length;
            int frameLength = reference.history().get(shape.getValue()).bytes().length;
            for (int pos = headerLength; pos < frameLength; pos++) {
                for (int mask : masks) {
                    // Replay the same deterministic run up to that frame, then corrupt it.
                    Net net = scenario();
                    while (net.history().size() < shape.getValue()) {
                        net.step();
                    }
                    Net.Wire w = net.interceptAtHead(x -> true);
                    assertThat(w.bytes()).isEqualTo(reference.history().get(shape.getValue()).bytes());
                    byte[] flipped = w.bytes().clone();
                    flipped[pos] ^= (byte) mask;

                    assertThatCode(() -> {
                        net.deliver(w.to(), flipped);
                        net.runToQuiescence();
                    }).as("%s with byte %d ^ 0x%s", shape.getKey(), pos, Integer.toHexString(mask))
                            .doesNotThrowAnyException();
                }
            }
        }
    }

    private static Net scenario() {
        Net net = Net.threeMembers(1);
        net.multicastEveryOrder("a", "traffic-a");
        net.multicastEveryOrder("c", "traffic-c");
        return net;
    }

    /** Next view, same members, empty cut except for {@code tail}. */
    private static Proposal sameMembersNextView(OrderRuns tail) {
        long[] noMessages = new long[9];
        return new Proposal(1, 2, List.of(A, B, C), List.of(), List.of(), noMessages, 0, tail);
    }

    private static void assertRefusedOnce(Map<Kind, Long> change) {
        assertThat(change).as("counter changes %s", change).hasSize(1);
        assertThat(REFUSED).contains(change.keySet().iterator().next());
        assertThat(change.values()).containsExactly(1L);
    }
}
