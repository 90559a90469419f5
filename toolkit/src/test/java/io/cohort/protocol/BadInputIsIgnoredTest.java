package io.cohort.protocol;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;
import io.cohort.api.View;
import io.cohort.protocol.ProtocolCounters.Kind;
import io.cohort.protocol.wire.Bundle;
import io.cohort.protocol.wire.Frame;
import io.cohort.protocol.wire.FrameCodec;
import io.cohort.protocol.wire.MalformedFrameException;
import io.cohort.protocol.wire.MulticastMessage;
import io.cohort.protocol.wire.OrderRuns;
import io.cohort.protocol.wire.Proposal;
import io.cohort.protocol.wire.ProtocolMessage;
import io.cohort.protocol.wire.Report;
import io.cohort.protocol.wire.Streams;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.fail;

/**
 * The core's contract for input from the network: bad input never throws out of
 * {@link GroupMember#receive}, it is ignored and counted in {@link ProtocolCounters}, and the
 * group carries on as if it had never arrived.
 *
 * <p>Every test starts a healthy group of three members {@code a#1, b#1, c#1}, feeds one kind of
 * bad input to one of them, checks the specific counter, and then checks that the group is
 * unaffected: same view, nobody wedged or gone, and a fresh multicast of every
 * {@link DeliveryOrder} is delivered exactly once at every member.
 *
 * <p>Frames that pretend to come from a real member must carry the link sequence number that
 * member would use next, or the receiver's reliable link would hold them back (or drop them as
 * duplicates) before the check under test runs. {@link Net#injectInPlaceOfNextAck} does that
 * without breaking the real link: it makes the member send an acknowledgement (which is
 * cumulative, so losing one is harmless), takes that frame off the wire, and delivers a forged
 * message under the same link sequence number instead.
 */
class BadInputIsIgnoredTest {

    private static final MemberId A = MemberId.of("a", 1);
    private static final MemberId B = MemberId.of("b", 1);
    private static final MemberId C = MemberId.of("c", 1);
    private static final MemberId INTRUDER = MemberId.of("z", 1);

    // =====================================================================================
    // 1. Garbage
    // =====================================================================================

    /**
     * Anything can arrive on a UDP port: stray packets, scanners, another protocol. None of it may
     * crash the member or change its state; each one is one MALFORMED_FRAME.
     */
    @Test
    void randomGarbageIsCountedAsMalformed() {
        Net net = Net.threeMembers(1);
        Random rnd = new Random(20240611L);
        Map<String, Long> expected = new HashMap<>();

        List<byte[]> garbage = new ArrayList<>();
        garbage.add(new byte[0]);
        for (int b = 0; b < 256; b++) {
            garbage.add(new byte[] {(byte) b});
        }
        for (int i = 0; i < 3000; i++) {
            int len = switch (i % 4) {
                case 0 -> rnd.nextInt(8);
                case 1 -> rnd.nextInt(64);
                case 2 -> rnd.nextInt(1500);
                default -> 8 + rnd.nextInt(9000);
            };
            byte[] g = new byte[len];
            rnd.nextBytes(g);
            garbage.add(g);
        }
        // Garbage behind a plausible header reaches every message decoder, not just the frame header.
        byte[] header = FrameCodec.encodeReliable(A, B, 1, 0, new byte[0]);
        for (int i = 0; i < 3000; i++) {
            byte[] tail = new byte[rnd.nextInt(200)];
            rnd.nextBytes(tail);
            byte[] g = Arrays.copyOf(header, header.length + 9 + tail.length);
            g[header.length] = (byte) (1 + i % 15); // every message type
            g[header.length + 8] = 1; // view id 1: the current view
            System.arraycopy(tail, 0, g, header.length + 9, tail.length);
            garbage.add(g);
        }

        String[] targets = {"a", "b", "c"};
        int i = 0;
        for (byte[] g : garbage) {
            if (decodes(g)) {
                continue; // astronomically rare; a well-formed frame is not garbage
            }
            String target = targets[i++ % targets.length];
            net.deliver(target, g);
            expected.merge(target, 1L, Long::sum);
        }

        for (String m : targets) {
            assertThat(net.counters(m).get(Kind.MALFORMED_FRAME)).as("malformed at %s", m).isEqualTo(expected.get(m));
            assertThat(net.counters(m).rejectedInput()).as("nothing but malformed frames counted at %s", m)
                    .isEqualTo(expected.get(m));
        }
        net.runToQuiescence();
        net.assertGroupUnaffected(1, "a");
    }

    // =====================================================================================
    // 2. Truncation
    // =====================================================================================

    /**
     * A datagram cut short (MTU trouble, a bug in a transport) must be rejected wherever the cut
     * falls, including inside a length prefix or a member name, and never read past the end.
     */
    @Test
    void everyTruncationOfAValidFrameIsCountedAsMalformed() {
        Net net = Net.threeMembers(1);
        net.multicastEveryOrder("b", "traffic");
        net.runToQuiescence();

        List<Net.Wire> frames = new ArrayList<>(net.oneFrameOfEachShape().values());
        // Messages that normal traffic does not produce, so that every decoder is cut somewhere.
        for (ProtocolMessage m : rareMessages()) {
            frames.add(new Net.Wire("a", "b", FrameCodec.encodeReliable(A, B, 1_000, 0, FrameCodec.encodeMessage(m))));
        }
        frames.add(new Net.Wire("a", "b", FrameCodec.encodeJoinRequest(MemberId.of("newcomer", 1), new byte[] {1, 2, 3})));
        frames.add(new Net.Wire("a", "b", FrameCodec.encodeExcludedNotice(A, B, 7)));
        assertThat(frames).hasSizeGreaterThan(15);

        Map<String, Long> expected = new HashMap<>();
        for (Net.Wire w : frames) {
            for (int len = 0; len < w.bytes().length; len++) {
                byte[] cut = Arrays.copyOf(w.bytes(), len);
                Map<Kind, Long> before = net.counters(w.to()).snapshot();
                net.deliver(w.to(), cut);
                assertThat(delta(before, net.counters(w.to()).snapshot()))
                        .as("%s cut to %d of %d bytes", w, len, w.bytes().length)
                        .isEqualTo(Map.of(Kind.MALFORMED_FRAME, 1L));
                expected.merge(w.to(), 1L, Long::sum);
            }
        }
        expected.forEach((m, n) -> assertThat(net.counters(m).get(Kind.MALFORMED_FRAME)).isEqualTo(n));
        net.runToQuiescence();
        net.assertGroupUnaffected(1, "c");
    }

    // =====================================================================================
    // 3. Corruption
    // =====================================================================================

    /**
     * A frame with a flipped byte must either be rejected or be handled as what it now is. Real
     * frames of every shape are replayed with every bit (and the whole byte) flipped at every
     * position. The outcome is checked exactly where it is determined: a frame that no longer
     * decodes is MALFORMED, one now addressed elsewhere is MISADDRESSED, one whose link position
     * the receiver already has is a DUPLICATE, and one from an identity that is not a member is
     * handled in whatever way fits it; none may throw or disturb the group.
     *
     * <p>Flips that turn the frame into a different, well-formed frame from a real member on a
     * link position not used yet (or into another frame kind) are not delivered: nothing in the
     * frame can tell them from genuine traffic, which is why the transport checks CRC32C before
     * the core sees a frame.
     */
    @Test
    void flippedBytesNeverThrowAndNeverDisturbTheGroup() {
        Net net = Net.threeMembers(1);
        net.multicastEveryOrder("a", "traffic-a");
        net.multicastEveryOrder("c", "traffic-c");
        net.runToQuiescence();
        Map<String, Net.Wire> samples = net.oneFrameOfEachShape();
        assertThat(samples.keySet()).contains("RELIABLE/Data/FIFO", "RELIABLE/Data/CAUSAL", "RELIABLE/Data/TOTAL",
                "RELIABLE/Order", "RELIABLE/Ack", "LINK_ACK"); // TOTAL and SAFE share a stream, and a Data message

        Map<String, Long> highestSeq = net.highestLinkSeqDelivered();

        int[] masks = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xFF};
        Map<String, Integer> outcomes = new LinkedHashMap<>();
        for (var sample : samples.entrySet()) {
            Net.Wire w = sample.getValue();
            Frame original = decode(w.bytes());
            MemberId receiver = net.member(w.to()).self();
            for (int pos = 0; pos < w.bytes().length; pos++) {
                for (int mask : masks) {
                    byte[] flipped = w.bytes().clone();
                    flipped[pos] ^= (byte) mask;
                    String what = sample.getKey() + " with byte " + pos + " ^ 0x" + Integer.toHexString(mask);

                    Kind expectedKind;
                    Frame f = decodeOrNull(flipped);
                    if (f == null) {
                        expectedKind = Kind.MALFORMED_FRAME;
                    } else if (f.kind() != Frame.Kind.JOIN_REQUEST && !f.to().equals(receiver)) {
                        expectedKind = Kind.MISADDRESSED_FRAME;
                    } else if (!net.isMember(f.from())) {
                        expectedKind = null; // from an identity that is no member: any (counted) handling
                    } else if (f.kind() != original.kind()) {
                        outcomes.merge("skipped: now another frame kind from a member", 1, Integer::sum);
                        continue;
                    } else if (f.kind() == Frame.Kind.LINK_ACK) {
                        expectedKind = null; // a different acknowledgement: applied, harmless once all is delivered
                    } else if (f.linkSeq() <= highestSeq.getOrDefault(f.from().name() + ">" + w.to(), 0L)) {
                        expectedKind = Kind.DUPLICATE_FRAME;
                    } else {
                        outcomes.merge("skipped: unused link position of a member", 1, Integer::sum);
                        continue;
                    }

                    Map<Kind, Long> before = net.counters(w.to()).snapshot();
                    assertThatCode(() -> net.deliver(w.to(), flipped)).as(what).doesNotThrowAnyException();
                    Map<Kind, Long> change = delta(before, net.counters(w.to()).snapshot());
                    if (expectedKind != null) {
                        assertThat(change).as(what).isEqualTo(Map.of(expectedKind, 1L));
                    }
                    outcomes.merge(expectedKind == null ? "handled: " + change : expectedKind.name(), 1, Integer::sum);
                }
            }
        }
        assertThat(outcomes).containsKeys(Kind.MALFORMED_FRAME.name(), Kind.MISADDRESSED_FRAME.name(),
                Kind.DUPLICATE_FRAME.name());

        net.runToQuiescence();
        net.assertGroupUnaffected(1, "b");
    }

    // =====================================================================================
    // 4. Misaddressed
    // =====================================================================================

    /**
     * A restarted process reuses its address. Frames still in flight for its previous (or a
     * future) incarnation, or for another member that once had the address, must not be taken as
     * its own: above all, an exclusion notice meant for another incarnation must not end this one.
     */
    @Test
    void framesForAnotherIncarnationAreCountedAsMisaddressed() {
        Net net = Net.threeMembers(1);
        MemberId otherIncarnation = A.nextIncarnation();
        byte[] data = FrameCodec.encodeMessage(new ProtocolMessage.Data(1,
                List.of(fifo(1, 1, "for-a#2"))));

        List<byte[]> frames = List.of(
                FrameCodec.encodeReliable(B, otherIncarnation, 1, 0, data),
                FrameCodec.encodeLinkAck(B, otherIncarnation, 1),
                FrameCodec.encodeExcludedNotice(B, otherIncarnation, 9),
                FrameCodec.encodeReliable(B, C, 1, 0, data)); // another member's frame at a's address
        for (byte[] frame : frames) {
            Map<Kind, Long> before = net.counters("a").snapshot();
            net.deliver("a", frame);
            assertThat(delta(before, net.counters("a").snapshot())).isEqualTo(Map.of(Kind.MISADDRESSED_FRAME, 1L));
        }
        assertThat(net.member("a").status()).isEqualTo(GroupMember.Status.MEMBER);

        net.runToQuiescence();
        assertThat(net.payloadsDelivered("a")).doesNotContain("for-a#2");
        net.assertGroupUnaffected(1, "b");
    }

    // =====================================================================================
    // 5. Non-member
    // =====================================================================================

    /**
     * Only members of a view may put messages into it. A process that is not in the view (a
     * misconfigured node, a member of another group on the same port) must not get a multicast
     * delivered, nor take a member's place in a stream.
     */
    @Test
    void dataFromANonMemberIsCountedAndNotDelivered() {
        Net net = Net.threeMembers(1);
        // A brand-new sender's first frame carries link sequence 1, so the receiving link hands it up.
        byte[] frame = FrameCodec.encodeReliable(INTRUDER, A, 1, 0, FrameCodec.encodeMessage(
                new ProtocolMessage.Data(1, List.of(fifo(1, 1, "intruder")))));
        int deliveredBefore = net.payloadsDelivered("a").size();

        net.deliver("a", frame);

        assertThat(net.counters("a").get(Kind.FROM_NON_MEMBER)).isEqualTo(1);
        net.runToQuiescence();
        assertThat(net.payloadsDelivered("a")).hasSize(deliveredBefore);
        net.assertNowhereDelivered("intruder");
        // b's FIFO slot 1, which the intruder claimed, still goes to b's real first message.
        net.assertGroupUnaffected(1, "b");
    }

    // =====================================================================================
    // 6. Stale view
    // =====================================================================================

    /**
     * Messages of a view that is over (late retransmissions, a slow member's last words) must not
     * be delivered in the current view: virtual synchrony delivers a message only in its view.
     */
    @Test
    void messageOfAnEarlierViewIsCountedAsStale() {
        Net net = Net.threeMembers(5);
        net.injectInPlaceOfNextAck("b", "c", new ProtocolMessage.Data(4, List.of(fifo(1, 2, "stale"))),
                Map.of(Kind.STALE_VIEW, 1L));

        net.runToQuiescence();
        net.assertNowhereDelivered("stale");
        net.assertGroupUnaffected(5, "b");
    }

    // =====================================================================================
    // 7. Far-future view
    // =====================================================================================

    /**
     * A member can be at most one view behind a view it belongs to, so messages of view current+1
     * are held; anything further ahead is impossible for a real member and must be dropped, not
     * held (an unbounded hold would let garbage pin memory).
     */
    @Test
    void messageOfAFarFutureViewIsDropped() {
        Net net = Net.threeMembers(1);
        net.injectInPlaceOfNextAck("b", "c", new ProtocolMessage.Data(6, List.of(fifo(1, 2, "from-the-future"))),
                Map.of(Kind.FUTURE_VIEW_DROPPED, 1L));

        assertThat(net.counters("c").get(Kind.FUTURE_VIEW_DEFERRED)).isZero();
        net.runToQuiescence();
        net.assertNowhereDelivered("from-the-future");
        net.assertGroupUnaffected(1, "a");
    }

    // =====================================================================================
    // 8. Duplicates
    // =====================================================================================

    /**
     * Networks duplicate datagrams and the core retransmits: a frame that arrives twice, at once or
     * much later, must be delivered once.
     */
    @Test
    void duplicatedFrameIsCountedAndDeliveredOnce() {
        Net net = Net.threeMembers(1);
        net.member("a").multicast(DeliveryOrder.FIFO, bytes("say-it-once"));
        Net.Wire data = net.interceptAtHead(w -> w.from().equals("a") && w.to().equals("b")
                && decode(w.bytes()).message() instanceof ProtocolMessage.Data);

        net.deliver("b", data.bytes());
        net.deliver("b", data.bytes()); // duplicated right away
        assertThat(net.counters("b").get(Kind.DUPLICATE_FRAME)).isEqualTo(1);

        net.runToQuiescence();
        net.assertGroupUnaffected(1, "c");
        net.deliver("b", data.bytes()); // and again, long after
        assertThat(net.counters("b").get(Kind.DUPLICATE_FRAME)).isEqualTo(2);
        net.runToQuiescence();

        for (String m : List.of("a", "b", "c")) {
            assertThat(net.payloadsDelivered(m)).as("at %s", m).containsOnlyOnce("say-it-once");
        }
        net.assertGroupUnaffected(1, "a");
    }

    // =====================================================================================
    // 9. A sender that lies about its rank
    // =====================================================================================

    /**
     * The sender's rank inside a Data message must match the link it came on. Otherwise one member
     * (buggy or compromised) could put words in another's mouth and take over its stream slots.
     */
    @Test
    void dataClaimingAnotherMembersRankIsInvalid() {
        Net net = Net.threeMembers(1);
        // b claims to carry a's (rank 0) first FIFO message, which c would otherwise accept.
        net.injectInPlaceOfNextAck("b", "c", new ProtocolMessage.Data(1, List.of(fifo(0, 1, "forged-for-a"))),
                Map.of(Kind.INVALID_CONTENT, 1L));

        net.runToQuiescence();
        net.assertNowhereDelivered("forged-for-a");
        // a's real first FIFO message still takes that slot at c.
        net.assertGroupUnaffected(1, "a");
    }

    // =====================================================================================
    // 10. Order from a non-coordinator
    // =====================================================================================

    /**
     * Only the coordinator (rank 0) sequences TOTAL and SAFE messages. An Order message from anyone
     * else would give members different total orders, so it must be rejected.
     */
    @Test
    void orderFromANonCoordinatorIsInvalid() {
        Net net = Net.threeMembers(1);
        // b claims position 1 of the total order for its own first TOTAL message, which never comes.
        ProtocolMessage.Order bogus = new ProtocolMessage.Order(1, 1,
                new OrderRuns(new int[] {1}, new long[] {1}, new long[] {1}));
        net.injectInPlaceOfNextAck("b", "c", bogus, Map.of(Kind.INVALID_CONTENT, 1L));

        net.runToQuiescence();
        // Had c accepted it, c's TOTAL and SAFE deliveries would wait forever for b's message.
        net.assertGroupUnaffected(1, "c");
    }

    // =====================================================================================
    // After exit
    // =====================================================================================

    /**
     * An incarnation that left is finished: late frames (retransmissions, replays) must not wake
     * it up or make it deliver anything. The rest of the group carries on without it.
     */
    @Test
    void framesAfterLeavingAreCountedAsAfterExit() {
        Net net = Net.threeMembers(1);
        net.multicastEveryOrder("a", "before-leave");
        net.runToQuiescence();
        Net.Wire earlierFrameToC = net.history().stream()
                .filter(w -> w.to().equals("c") && decode(w.bytes()).kind() == Frame.Kind.RELIABLE)
                .findFirst().orElseThrow();

        net.member("c").leave();
        net.runUntil(() -> net.exits("c").stream().anyMatch(e -> e instanceof Effect.Left), "c has left");
        assertThat(net.member("c").status()).isEqualTo(GroupMember.Status.LEFT);
        int deliveredBefore = net.payloadsDelivered("c").size();
        long before = net.counters("c").get(Kind.AFTER_EXIT);

        net.deliver("c", earlierFrameToC.bytes()); // a replay of a genuine frame
        net.deliver("c", FrameCodec.encodeReliable(A, C, 1_000, 0, FrameCodec.encodeMessage(
                new ProtocolMessage.Data(1, List.of(fifo(0, 2, "too-late"))))));
        net.deliver("c", FrameCodec.encodeLinkAck(B, C, 3));

        assertThat(net.counters("c").get(Kind.AFTER_EXIT)).isEqualTo(before + 3);
        net.runToQuiescence();
        assertThat(net.payloadsDelivered("c")).hasSize(deliveredBefore);
        assertThat(net.member("c").status()).isEqualTo(GroupMember.Status.LEFT);
        net.assertNowhereDelivered("too-late");
        // The group went on to view 2 without c, and still works.
        assertThat(net.member("a").view()).isEqualTo(new View(2, List.of(A, B)));
        net.assertStillWorks("b");
    }

    // =====================================================================================
    // Helpers
    // =====================================================================================

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static MulticastMessage fifo(int senderRank, long seq, String payload) {
        return new MulticastMessage(senderRank, Streams.FIFO, seq, DeliveryOrder.FIFO, bytes(payload), null, -1);
    }

    static Frame decode(byte[] bytes) {
        try {
            return FrameCodec.decode(bytes);
        } catch (MalformedFrameException e) {
            throw new AssertionError("not a frame: " + HexFormat.of().formatHex(bytes), e);
        }
    }

    static Frame decodeOrNull(byte[] bytes) {
        try {
            return FrameCodec.decode(bytes);
        } catch (MalformedFrameException e) {
            return null;
        }
    }

    static boolean decodes(byte[] bytes) {
        return decodeOrNull(bytes) != null;
    }

    /** @return the counters that changed, with how much */
    static Map<Kind, Long> delta(Map<Kind, Long> before, Map<Kind, Long> after) {
        Map<Kind, Long> d = new LinkedHashMap<>();
        for (Kind k : Kind.values()) {
            long change = after.get(k) - before.get(k);
            if (change != 0) {
                d.put(k, change);
            }
        }
        return d;
    }

    /** Messages that ordinary multicast traffic does not produce, one of each remaining type. */
    static List<ProtocolMessage> rareMessages() {
        long[] frontiers = {1, 2, 3, 0, 0, 1, 0, 0, 0};
        Proposal proposal = new Proposal(1, 2, List.of(A, B, MemberId.of("d", 1)), List.of(MemberId.of("d", 1)),
                List.of(A), frontiers, 3, new OrderRuns(new int[] {1, 2}, new long[] {4, 1}, new long[] {2, 1}));
        MulticastMessage causal = new MulticastMessage(2, Streams.CAUSAL, 1, DeliveryOrder.CAUSAL, bytes("x"),
                new long[] {0, 0, 1}, -1);
        Bundle bundle = new Bundle(List.of(fifo(0, 1, "p"), causal), 2,
                new OrderRuns(new int[] {0}, new long[] {1}, new long[] {2}));
        return List.of(
                new ProtocolMessage.Suspect(1, C),
                new ProtocolMessage.Leave(1),
                new ProtocolMessage.JoinForward(1, MemberId.of("d", 1), new byte[] {7}),
                new ProtocolMessage.Prepare(1, 17, frontiers, 3),
                new ProtocolMessage.Promise(1, 17, new Report(frontiers, 3, true), 9, proposal, bundle),
                new ProtocolMessage.Nack(1, 33),
                new ProtocolMessage.Accept(1, 17, proposal, bundle),
                new ProtocolMessage.Accepted(1, 17),
                new ProtocolMessage.Commit(1, proposal),
                new ProtocolMessage.Fetch(1, frontiers, 3),
                new ProtocolMessage.Fetched(1, bundle),
                new ProtocolMessage.StateChunk(2, 4096, bytes("state"), true));
    }

    // =====================================================================================
    // The driver: a lossless, in-order network between the members, run to quiescence
    // =====================================================================================

    /**
     * A tiny deterministic network. Frames go into one FIFO queue and are delivered to the member
     * named by the Send's {@code to} (by name, whatever the incarnation, as an address would be).
     * Frames to names nobody has (an intruder) vanish. RETRANSMIT timers are fired only when the
     * network is quiet and something is still awaited.
     */
    static final class Net {

        /** One frame on the wire. */
        record Wire(String from, String to, byte[] bytes) {
            @Override
            public String toString() {
                return from + "->" + to + " " + shapeOf(decodeOrNull(bytes));
            }
        }

        private final Map<String, GroupMember> members = new LinkedHashMap<>();
        private final Map<String, List<Effect.Deliver>> deliveries = new HashMap<>();
        private final Map<String, List<Effect>> exits = new HashMap<>();
        private final Map<String, Boolean> retransmitAsked = new HashMap<>();
        private final ArrayDeque<Wire> inFlight = new ArrayDeque<>();
        private final List<Wire> history = new ArrayList<>();
        private int checks;

        static Net threeMembers(long viewId) {
            return new Net(new View(viewId, List.of(A, B, C)));
        }

        Net(View initial) {
            for (MemberId id : initial.members()) {
                members.put(id.name(), new GroupMember(id, ProtocolConfig.defaults()));
                deliveries.put(id.name(), new ArrayList<>());
                exits.put(id.name(), new ArrayList<>());
            }
            for (GroupMember m : members.values()) {
                m.bootstrap(initial);
            }
            runToQuiescence();
        }

        GroupMember member(String name) {
            return members.get(name);
        }

        ProtocolCounters counters(String name) {
            return members.get(name).counters();
        }

        boolean isMember(MemberId id) {
            GroupMember m = members.get(id.name());
            return m != null && m.self().equals(id);
        }

        List<Wire> history() {
            return history;
        }

        List<Effect> exits(String name) {
            return exits.get(name);
        }

        /** Takes every member's effects: frames go on the wire, deliveries and exits are recorded. */
        void collect() {
            for (var e : members.entrySet()) {
                String name = e.getKey();
                List<Effect> effects;
                try {
                    effects = e.getValue().takeEffects();
                } catch (RuntimeException | Error ex) {
                    throw new AssertionError("takeEffects() of " + name + " threw", ex);
                }
                for (Effect effect : effects) {
                    if (effect instanceof Effect.Send s) {
                        inFlight.add(new Wire(name, s.to().name(), s.frame()));
                    } else if (effect instanceof Effect.Deliver d) {
                        deliveries.get(name).add(d);
                    } else if (effect instanceof Effect.SetTimer t && t.timer() == TimerKind.RETRANSMIT) {
                        retransmitAsked.put(name, true);
                    } else if (effect instanceof Effect.Left || effect instanceof Effect.Excluded) {
                        exits.get(name).add(effect);
                    }
                }
            }
        }

        /** Hands a frame to a member; anything thrown out of the core fails the test with the input. */
        void deliver(String to, byte[] frame) {
            GroupMember m = members.get(to);
            if (m == null) {
                return;
            }
            try {
                m.receive(frame);
            } catch (RuntimeException | Error e) {
                throw new AssertionError("receive() of " + m.self() + " threw on frame "
                        + HexFormat.of().formatHex(frame), e);
            }
        }

        /** @return false once no frame is left to deliver */
        boolean step() {
            collect();
            Wire w = inFlight.poll();
            if (w == null) {
                return false;
            }
            history.add(w);
            deliver(w.to(), w.bytes());
            return true;
        }

        void runToQuiescence() {
            int steps = 0;
            while (step()) {
                if (++steps > 1_000_000) {
                    fail("the network never went quiet");
                }
            }
        }

        /** Runs until {@code done}, firing the RETRANSMIT timers members asked for when the network is quiet. */
        void runUntil(BooleanSupplier done, String what) {
            for (int round = 0; round < 100; round++) {
                runToQuiescence();
                if (done.getAsBoolean()) {
                    return;
                }
                List<String> due = retransmitAsked.keySet().stream().sorted().toList();
                if (due.isEmpty()) {
                    break;
                }
                retransmitAsked.clear();
                for (String name : due) {
                    members.get(name).timerFired(TimerKind.RETRANSMIT);
                }
            }
            fail("never reached: " + what);
        }

        /**
         * Delivers frames in order until the first one in the queue matches, and takes that one off
         * the wire (it is not delivered).
         */
        Wire interceptAtHead(Predicate<Wire> match) {
            while (true) {
                collect();
                Wire head = inFlight.peek();
                if (head == null) {
                    fail("no such frame was sent");
                }
                if (match.test(head)) {
                    return inFlight.poll();
                }
                step();
            }
        }

        /**
         * Makes {@code from} send {@code to} an acknowledgement, removes that frame from the wire and
         * delivers {@code forged} under the same link sequence number instead, so the receiving link
         * hands it straight up. Asserts that the receiver's counters changed exactly as expected.
         */
        void injectInPlaceOfNextAck(String from, String to, ProtocolMessage forged, Map<Kind, Long> expectedChange) {
            assertThat(injectInPlaceOfNextAck(from, to, forged)).as("counters of %s after %s", to, forged)
                    .isEqualTo(expectedChange);
        }

        /** As above; returns how the receiver's counters changed. */
        Map<Kind, Long> injectInPlaceOfNextAck(String from, String to, ProtocolMessage forged) {
            // A FIFO multicast of its own makes `from` send its data, then an Ack, to every member.
            member(from).multicast(DeliveryOrder.FIFO, bytes("warm-up"));
            Wire ack = interceptAtHead(w -> w.from().equals(from) && w.to().equals(to)
                    && decode(w.bytes()).message() instanceof ProtocolMessage.Ack);
            Frame genuine = decode(ack.bytes());
            byte[] frame = FrameCodec.encodeReliable(genuine.from(), genuine.to(), genuine.linkSeq(), genuine.linkAck(),
                    FrameCodec.encodeMessage(forged));

            Map<Kind, Long> before = counters(to).snapshot();
            deliver(to, frame);
            return delta(before, counters(to).snapshot());
        }

        void multicastEveryOrder(String sender, String prefix) {
            for (DeliveryOrder o : DeliveryOrder.values()) {
                member(sender).multicast(o, bytes(prefix + "-" + o));
            }
        }

        List<String> payloadsDelivered(String name) {
            return deliveries.get(name).stream().map(d -> new String(d.payload(), StandardCharsets.UTF_8)).toList();
        }

        void assertNowhereDelivered(String payload) {
            for (String m : members.keySet()) {
                assertThat(payloadsDelivered(m)).as("deliveries at %s", m).doesNotContain(payload);
            }
        }

        /**
         * The group is as it was: every member is in the same view {@code viewId} of all three, none
         * is wedged or counted a view change, and it still multicasts.
         */
        void assertGroupUnaffected(long viewId, String sender) {
            View expected = new View(viewId, List.of(A, B, C));
            for (GroupMember m : members.values()) {
                assertThat(m.status()).as("status of %s", m.self()).isEqualTo(GroupMember.Status.MEMBER);
                assertThat(m.view()).as("view of %s", m.self()).isEqualTo(expected);
                assertThat(m.isWedged()).as("%s wedged", m.self()).isFalse();
                assertThat(m.counters().get(Kind.VIEW_CHANGE_ATTEMPT)).as("view changes at %s", m.self()).isZero();
            }
            assertStillWorks(sender);
        }

        /** A fresh multicast of every order from {@code sender} is delivered exactly once at every member of its view. */
        void assertStillWorks(String sender) {
            int round = ++checks;
            MemberId senderId = member(sender).self();
            Map<DeliveryOrder, String> sent = new LinkedHashMap<>();
            for (DeliveryOrder o : DeliveryOrder.values()) {
                String payload = "check-" + round + "-" + sender + "-" + o;
                member(sender).multicast(o, bytes(payload));
                sent.put(o, payload);
            }
            List<String> receivers = member(sender).view().members().stream().map(MemberId::name).toList();
            runUntil(() -> receivers.stream().allMatch(r -> payloadsDelivered(r).containsAll(sent.values())),
                    "every member delivered " + sent.values());
            for (String r : receivers) {
                for (var e : sent.entrySet()) {
                    List<Effect.Deliver> got = deliveries.get(r).stream()
                            .filter(d -> new String(d.payload(), StandardCharsets.UTF_8).equals(e.getValue())).toList();
                    assertThat(got).as("%s delivered %s", r, e.getValue()).hasSize(1);
                    assertThat(got.get(0).sender()).isEqualTo(senderId);
                    assertThat(got.get(0).order()).isEqualTo(e.getKey());
                }
            }
        }

        /** @return the first delivered frame of each shape (kind, message type, delivery order) */
        Map<String, Wire> oneFrameOfEachShape() {
            Map<String, Wire> shapes = new LinkedHashMap<>();
            for (Wire w : history) {
                shapes.putIfAbsent(shapeOf(decode(w.bytes())), w);
            }
            return shapes;
        }

        /** @return per link ("from>to"), the highest link sequence number delivered on it */
        Map<String, Long> highestLinkSeqDelivered() {
            Map<String, Long> seqs = new HashMap<>();
            for (Wire w : history) {
                Frame f = decode(w.bytes());
                if (f.kind() == Frame.Kind.RELIABLE) {
                    seqs.merge(f.from().name() + ">" + w.to(), f.linkSeq(), Math::max);
                }
            }
            return seqs;
        }

        static String shapeOf(Frame f) {
            if (f == null) {
                return "malformed";
            }
            if (f.kind() != Frame.Kind.RELIABLE) {
                return f.kind().name();
            }
            String s = "RELIABLE/" + f.message().getClass().getSimpleName();
            if (f.message() instanceof ProtocolMessage.Data d && !d.messages().isEmpty()) {
                s += "/" + d.messages().get(0).order();
            }
            return s;
        }
    }
}
