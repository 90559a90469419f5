package io.cohort.simulation.check;

import static io.cohort.api.DeliveryOrder.CAUSAL;
import static io.cohort.api.DeliveryOrder.FIFO;
import static io.cohort.api.DeliveryOrder.SAFE;
import static io.cohort.api.DeliveryOrder.TOTAL;
import static io.cohort.simulation.check.HistoryBuilder.member;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;
import io.cohort.simulation.history.History;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Each property is broken on purpose by a small hand-made history, and the same history without
 * the fault must pass: a checker that never fails proves nothing, and one that fails on correct
 * runs sends the simulator chasing ghosts.
 */
class HistoryCheckerTest {

    private static final MemberId A = member("a");
    private static final MemberId B = member("b");
    private static final MemberId C = member("c");
    private static final MemberId D = member("d");

    private static final HistoryChecker CHECKER = new HistoryChecker();

    /** The public single-property entry points, to check they agree with {@link HistoryChecker#check}. */
    private static final Map<Property, Function<History, List<Violation>>> SINGLE = new EnumMap<>(Property.class);

    static {
        SINGLE.put(Property.VIEW_AGREEMENT, CHECKER::checkViewAgreement);
        SINGLE.put(Property.INTEGRITY, CHECKER::checkIntegrity);
        SINGLE.put(Property.SENDING_VIEW_DELIVERY, CHECKER::checkSendingViewDelivery);
        SINGLE.put(Property.VIRTUAL_SYNCHRONY, CHECKER::checkVirtualSynchrony);
        SINGLE.put(Property.ORDER, CHECKER::checkOrder);
        SINGLE.put(Property.SAFE_UNIFORMITY, CHECKER::checkSafeUniformity);
        SINGLE.put(Property.LIVENESS, CHECKER::checkLiveness);
        SINGLE.put(Property.STATE_TRANSFER, CHECKER::checkStateTransfer);
    }

    private static void assertClean(History history) {
        assertThat(CHECKER.check(history)).isEmpty();
        for (Function<History, List<Violation>> single : SINGLE.values()) {
            assertThat(single.apply(history)).isEmpty();
        }
    }

    /** The history breaks exactly this property and no other; the single-property check agrees. */
    private static List<Violation> assertOnly(History history, Property property) {
        List<Violation> all = CHECKER.check(history);
        assertThat(all).isNotEmpty().extracting(Violation::property).containsOnly(property);
        assertThat(SINGLE.get(property).apply(history)).containsExactlyElementsOf(all);
        return all;
    }

    /** The history breaks this property (and, unavoidably for the fault at hand, maybe others). */
    private static List<Violation> assertReports(History history, Property property) {
        List<Violation> violations = SINGLE.get(property).apply(history);
        assertThat(violations).isNotEmpty().extracting(Violation::property).containsOnly(property);
        assertThat(CHECKER.check(history)).containsAll(violations);
        return violations;
    }

    @Test
    void richValidHistoryPasses() {
        History history = RichHistory.build();
        assertClean(history);
        assertThat(history.events()).hasSizeGreaterThan(60);
    }

    @Test
    void violationRendersPropertyNumberAndDetail() {
        Violation v = new Violation(Property.ORDER, "x before y");
        assertThat(v.toString()).isEqualTo("P5 ORDER: x before y");
        assertThat(Property.STATE_TRANSFER.number()).isEqualTo(8);
        assertThat(Property.values()).extracting(Property::number).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
        assertThat(Property.values()).allSatisfy(p -> assertThat(p.description()).isNotBlank());
    }

    @Nested
    class ViewAgreement {

        private History differentLists(boolean broken) {
            return new HistoryBuilder()
                    .installAt(A, 1, A, B)
                    .installAt(B, 1, broken ? new MemberId[] {B, A} : new MemberId[] {A, B})
                    .build();
        }

        @Test
        void sameViewIdWithDifferentMemberLists() {
            assertClean(differentLists(false));
            assertThat(assertOnly(differentLists(true), Property.VIEW_AGREEMENT).get(0).detail())
                    .contains("b#1 installed view 1 as [b#1, a#1]");
        }

        private History decreasing(boolean broken) {
            HistoryBuilder h = new HistoryBuilder().install(1, A, B).install(2, A, B);
            if (broken) {
                h.installAt(A, 1, A, B);
            }
            return h.build();
        }

        @Test
        void viewIdsMustStrictlyIncrease() {
            assertClean(decreasing(false));
            assertThat(assertOnly(decreasing(true), Property.VIEW_AGREEMENT).get(0).detail())
                    .contains("strictly increase");
        }

        private History notAMember(boolean broken) {
            HistoryBuilder h = new HistoryBuilder().install(1, A, B);
            if (broken) {
                h.installAt(C, 1, A, B);
            }
            return h.build();
        }

        @Test
        void memberInstallsViewWithoutItself() {
            assertClean(notAMember(false));
            assertThat(assertOnly(notAMember(true), Property.VIEW_AGREEMENT).get(0).detail())
                    .contains("c#1", "does not contain it");
        }

        private History skipping(boolean broken) {
            HistoryBuilder h = new HistoryBuilder().install(1, A, B).installAt(A, 2, A, B);
            if (!broken) {
                h.installAt(B, 2, A, B);
            }
            return h.install(3, A, B).build();
        }

        @Test
        void memberSkipsAViewItBelongsTo() {
            assertClean(skipping(false));
            assertThat(assertOnly(skipping(true), Property.VIEW_AGREEMENT).get(0).detail())
                    .contains("b#1 went from view 1 to view 3 without installing view 2");
        }

        @Test
        void skippingAViewWithoutTheMemberIsFine() {
            assertClean(new HistoryBuilder()
                    .install(1, A, B)
                    .installAt(A, 2, A)
                    .install(3, A, B)
                    .build());
        }
    }

    @Nested
    class Integrity {

        /** One view, a's FIFO message m1 delivered by both; {@code fault} adds the wrong event at b. */
        private History oneMessage(java.util.function.Consumer<HistoryBuilder> fault) {
            HistoryBuilder h = new HistoryBuilder().install(1, A, B)
                    .multicast(A, "m1", FIFO)
                    .deliver(A, "m1");
            fault.accept(h);
            return h.build();
        }

        @Test
        void cleanVariantPasses() {
            assertClean(oneMessage(h -> h.deliver(B, "m1")));
        }

        @Test
        void deliveredButNeverSent() {
            History h = oneMessage(b -> b.deliver(B, "m1").deliverAs(B, "ghost", A, FIFO, 1));
            assertThat(assertOnly(h, Property.INTEGRITY).get(0).detail()).contains("ghost", "never sent");
        }

        @Test
        void deliveredWithTheWrongSender() {
            History h = oneMessage(b -> b.deliverAs(B, "m1", B, FIFO, 1));
            assertThat(assertOnly(h, Property.INTEGRITY).get(0).detail()).contains("sent as FIFO by a#1");
        }

        @Test
        void deliveredWithTheWrongOrder() {
            History h = oneMessage(b -> b.deliverAs(B, "m1", A, TOTAL, 1));
            assertThat(assertOnly(h, Property.INTEGRITY).get(0).detail()).contains("as TOTAL");
        }

        @Test
        void deliveredTwice() {
            History h = oneMessage(b -> b.deliver(B, "m1", "m1"));
            assertThat(assertOnly(h, Property.INTEGRITY).get(0).detail()).contains("b#1 delivered m1 twice");
        }

        @Test
        void sentWithoutRequest() {
            History clean = new HistoryBuilder().install(1, A).multicast(A, "m1", FIFO).deliver(A, "m1").build();
            History broken = new HistoryBuilder().install(1, A).send(A, "m1", FIFO, 1).deliver(A, "m1").build();
            assertClean(clean);
            assertThat(assertOnly(broken, Property.INTEGRITY).get(0).detail()).contains("without a prior multicast request");
        }

        @Test
        void sentTwice() {
            History broken = new HistoryBuilder().install(1, A)
                    .multicast(A, "m1", FIFO).send(A, "m1", FIFO, 1).deliver(A, "m1").build();
            assertThat(assertOnly(broken, Property.INTEGRITY).get(0).detail()).contains("sent twice");
        }

        private History joinerRedelivers(boolean broken) {
            HistoryBuilder h = new HistoryBuilder().install(1, A, B)
                    .multicast(A, "m1", FIFO).deliverAt("m1", A, B)
                    .stateTransfer(C, 2, "m1")
                    .install(2, A, B, C)
                    .multicast(B, "m2", FIFO).deliverAt("m2", A, B, C);
            if (broken) {
                // The joiner applies m1 a second time; necessarily outside m1's sending view too.
                h.deliverAs(C, "m1", A, FIFO, 2);
            }
            return h.build();
        }

        @Test
        void joinerDeliversWhatItsStateAlreadyHolds() {
            assertClean(joinerRedelivers(false));
            assertThat(assertReports(joinerRedelivers(true), Property.INTEGRITY).get(0).detail())
                    .contains("c#1 delivered m1 which its transferred state already contains");
        }
    }

    @Nested
    class SendingViewDelivery {

        private History staleView(boolean broken) {
            HistoryBuilder h = new HistoryBuilder().install(1, A, B)
                    .multicast(A, "m1", FIFO).deliver(A, "m1");
            if (!broken) {
                h.deliver(B, "m1");
            }
            h.install(2, A, B);
            if (broken) {
                // b labels the delivery with the sending view, but it has already moved to view 2.
                h.deliver(B, "m1");
            }
            return h.build();
        }

        @Test
        void deliveredAfterMovingToTheNextView() {
            assertClean(staleView(false));
            assertThat(assertOnly(staleView(true), Property.SENDING_VIEW_DELIVERY).get(0).detail())
                    .contains("b#1 delivered m1 in view 1 while its current view was 2");
        }

        private History otherView(boolean broken) {
            HistoryBuilder h = new HistoryBuilder().install(1, A, B)
                    .multicast(A, "m1", FIFO);
            if (!broken) {
                h.deliver(B, "m1");
            }
            h.crash(A).install(2, B);
            if (broken) {
                h.deliverAs(B, "m1", A, FIFO, 2);
            }
            return h.build();
        }

        @Test
        void deliveredInAViewOtherThanTheSendingView() {
            assertClean(otherView(false));
            assertThat(assertOnly(otherView(true), Property.SENDING_VIEW_DELIVERY).get(0).detail())
                    .contains("delivered m1 in view 2 but it was sent in view 1");
        }

        private History beforeAnyView(boolean broken) {
            HistoryBuilder h = new HistoryBuilder().installAt(A, 1, A, B);
            if (!broken) {
                h.installAt(B, 1, A, B);
            }
            h.multicast(A, "m1", FIFO).deliver(A, "m1").deliver(B, "m1");
            if (broken) {
                h.installAt(B, 1, A, B);
            }
            return h.build();
        }

        @Test
        void deliveredBeforeTheFirstView() {
            assertClean(beforeAnyView(false));
            assertThat(assertOnly(beforeAnyView(true), Property.SENDING_VIEW_DELIVERY).get(0).detail())
                    .contains("no view installed yet");
        }

        @Test
        void sentInAViewOtherThanTheCurrentOne() {
            History broken = new HistoryBuilder().install(1, A, B)
                    .request(A, "m1", FIFO).send(A, "m1", FIFO, 2).build();
            assertThat(assertOnly(broken, Property.SENDING_VIEW_DELIVERY).get(0).detail())
                    .contains("a#1 sent m1 in view 2 while its current view was 1");
        }
    }

    @Nested
    class VirtualSynchrony {

        private History passing(boolean broken) {
            HistoryBuilder h = new HistoryBuilder().install(1, A, B, C)
                    .multicast(A, "m1", FIFO).deliverAt("m1", A, B);
            if (!broken) {
                h.deliver(C, "m1");
            }
            return h.install(2, A, B, C).build();
        }

        @Test
        void membersPassingTogetherDeliveredDifferentSets() {
            assertClean(passing(false));
            List<Violation> violations = assertOnly(passing(true), Property.VIRTUAL_SYNCHRONY);
            assertThat(violations.get(0).detail())
                    .contains("a#1 and c#1 both passed from view 1 to view 2")
                    .contains("only a#1 delivered [m1]", "only c#1 delivered []");
        }

        @Test
        void membersGoingToDifferentViewsAreNotCompared() {
            // a and b leave view 1 for different next views, so their sets in view 1 are not compared.
            assertClean(new HistoryBuilder().install(1, A, B)
                    .multicast(A, "m1", FIFO).deliver(A, "m1")
                    .installAt(A, 2, A)
                    .installAt(B, 3, B)
                    .build());
        }
    }

    @Nested
    class Order {

        private History twoFromA(DeliveryOrder first, DeliveryOrder second, String... deliveredByB) {
            return new HistoryBuilder().install(1, A, B)
                    .multicast(A, "m1", first).multicast(A, "m2", second)
                    .deliver(A, "m1", "m2")
                    .deliver(B, deliveredByB)
                    .build();
        }

        @Test
        void fifoMessagesDeliveredOutOfSendOrder() {
            assertClean(twoFromA(FIFO, FIFO, "m1", "m2"));
            assertThat(assertOnly(twoFromA(FIFO, FIFO, "m2", "m1"), Property.ORDER).get(0).detail())
                    .startsWith("FIFO order: b#1 delivered m2");
        }

        @Test
        void fifoDeliveryWithAGap() {
            assertClean(twoFromA(FIFO, FIFO, "m1"));
            assertThat(assertOnly(twoFromA(FIFO, FIFO, "m2"), Property.ORDER).get(0).detail())
                    .contains("FIFO order", "next in that sender's order was m1");
        }

        @Test
        void causalMessagesOfOneSenderOutOfSendOrder() {
            assertClean(twoFromA(CAUSAL, CAUSAL, "m1", "m2"));
            assertThat(assertOnly(twoFromA(CAUSAL, CAUSAL, "m2", "m1"), Property.ORDER))
                    .anySatisfy(v -> assertThat(v.detail()).startsWith("causal order (per sender)"))
                    .anySatisfy(v -> assertThat(v.detail()).startsWith("causal order: b#1 delivered m2"));
        }

        @Test
        void totalAndSafeShareOnePerSenderStream() {
            assertClean(twoFromA(TOTAL, SAFE, "m1", "m2"));
            assertThat(assertOnly(twoFromA(TOTAL, SAFE, "m2", "m1"), Property.ORDER))
                    .anySatisfy(v -> assertThat(v.detail()).startsWith("total order (per sender, TOTAL+SAFE)"));
        }

        @Test
        void differentOrdersAreNotOrderedAgainstEachOther() {
            // A FIFO and a CAUSAL message of one sender form separate streams: either delivery order is fine.
            assertClean(twoFromA(FIFO, CAUSAL, "m2", "m1"));
        }

        private History totalOrder(boolean broken) {
            return new HistoryBuilder().install(1, A, B)
                    .multicast(A, "t1", TOTAL).multicast(B, "s1", SAFE)
                    .deliver(A, "t1", "s1")
                    .deliver(B, broken ? new String[] {"s1", "t1"} : new String[] {"t1", "s1"})
                    .end(false, A, B)
                    .build();
        }

        @Test
        void totalAndSafeMessagesInOppositeOrderAtTwoMembers() {
            assertClean(totalOrder(false));
            assertThat(assertOnly(totalOrder(true), Property.ORDER).get(0).detail())
                    .isEqualTo("total order: in view 1 b#1 delivered s1 before t1 but a#1 delivered t1 before s1");
        }

        private History partialOverlap(boolean broken) {
            // a saw only x: the inversion shows only between b and c.
            return new HistoryBuilder().install(1, A, B, C)
                    .multicast(A, "x", TOTAL).multicast(B, "y", TOTAL)
                    .deliver(A, "x")
                    .deliver(B, "x", "y")
                    .deliver(C, broken ? new String[] {"y", "x"} : new String[] {"x", "y"})
                    .end(false, A, B, C)
                    .build();
        }

        private History inversionAtACrashedMember(DeliveryOrder order) {
            // a delivers x then y and crashes; b and c survive into view 2 and deliver y then x.
            return new HistoryBuilder().install(1, A, B, C)
                    .multicast(A, "x", order).multicast(B, "y", order)
                    .deliver(A, "x", "y")
                    .crash(A)
                    .deliver(B, "y", "x")
                    .deliver(C, "y", "x")
                    .install(2, B, C)
                    .end(false, B, C)
                    .build();
        }

        @Test
        void totalIsNonUniformSoACrashedMembersOrderIsNotCompared() {
            assertClean(inversionAtACrashedMember(TOTAL));
        }

        @Test
        void safeIsUniformSoACrashedMembersOrderIsCompared() {
            assertThat(new HistoryChecker().checkOrder(inversionAtACrashedMember(SAFE)))
                    .anySatisfy(v -> assertThat(v.detail()).startsWith("total order:"));
        }

        @Test
        void totalOrderInversionBetweenMembersThatOnlyPartlyOverlap() {
            assertClean(partialOverlap(false));
            assertThat(assertOnly(partialOverlap(true), Property.ORDER))
                    .singleElement()
                    .satisfies(v -> assertThat(v.detail()).contains("c#1 delivered y before x but b#1"));
        }

        private History causalChain(boolean broken) {
            // b sends c2 after delivering a's c1, so c2 causally follows c1 although the senders differ.
            return new HistoryBuilder().install(1, A, B, C)
                    .multicast(A, "c1", CAUSAL).deliverAt("c1", A, B)
                    .multicast(B, "c2", CAUSAL).deliverAt("c2", B, A)
                    .deliver(C, broken ? new String[] {"c2", "c1"} : new String[] {"c1", "c2"})
                    .build();
        }

        @Test
        void causalSuccessorDeliveredBeforeItsCause() {
            assertClean(causalChain(false));
            assertThat(assertOnly(causalChain(true), Property.ORDER).get(0).detail())
                    .isEqualTo("causal order: c#1 delivered c2 from b#1 in view 1 after only 0 causal messages"
                            + " from a#1 but its sender had seen 1 (event #11)");
        }

        @Test
        void concurrentCausalMessagesMayArriveInAnyOrder() {
            // Neither sender had seen the other's message: no causal relation, so opposite orders are fine.
            assertClean(new HistoryBuilder().install(1, A, B, C)
                    .multicast(A, "c1", CAUSAL).multicast(B, "c2", CAUSAL)
                    .deliver(A, "c1", "c2").deliver(B, "c2", "c1").deliver(C, "c2", "c1")
                    .build());
        }
    }

    @Nested
    class SafeUniformity {

        private History crashedDeliverer(DeliveryOrder order, boolean broken) {
            HistoryBuilder h = new HistoryBuilder().install(1, A, B, C)
                    .multicast(A, "s1", order).deliver(A, "s1");
            if (!broken) {
                h.deliver(C, "s1");
            }
            return h.crash(A).crash(B).install(2, C).build();
        }

        @Test
        void safeMessageDeliveredByACrashedMemberOnlyIsLost() {
            assertClean(crashedDeliverer(SAFE, false));
            assertThat(assertOnly(crashedDeliverer(SAFE, true), Property.SAFE_UNIFORMITY).get(0).detail())
                    .contains("c#1 passed from view 1 to the next view 2", "[s1]");
        }

        @Test
        void totalMessagesAreNotUniform() {
            // The same loss is allowed for TOTAL, which promises agreement only among survivors.
            assertClean(crashedDeliverer(TOTAL, true));
        }
    }

    @Nested
    class Liveness {

        /** a, b, c; c crashes; a and b end in view 2 [a, b]. */
        private HistoryBuilder base() {
            return new HistoryBuilder().install(1, A, B, C)
                    .multicast(A, "m1", FIFO).deliverAt("m1", A, B, C)
                    .crash(C)
                    .install(2, A, B)
                    .multicast(A, "m2", SAFE);
        }

        @Test
        void cleanRunConverges() {
            assertClean(base().deliverAt("m2", A, B).end(true, A, B).build());
        }

        @Test
        void liveMemberNeverDeliversALiveSendersMessage() {
            History h = base().deliverAt("m2", A).end(true, A, B).build();
            assertThat(assertOnly(h, Property.LIVENESS).get(0).detail())
                    .contains("live member b#1 installed view 2 but never delivered m2");
        }

        @Test
        void requestNeverSent() {
            History h = base().deliverAt("m2", A, B).request(B, "m3", FIFO).end(true, A, B).build();
            assertThat(assertOnly(h, Property.LIVENESS).get(0).detail())
                    .contains("live member b#1 requested m3 but never sent it");
        }

        @Test
        void liveMembersEndInDifferentViews() {
            History h = base().deliverAt("m2", A, B).end(true, A, B, C).build();
            assertThat(assertOnly(h, Property.LIVENESS))
                    .anySatisfy(v -> assertThat(v.detail()).contains("ended in different views"));
        }

        @Test
        void finalViewIsNotExactlyTheLiveMembers() {
            History h = base().deliverAt("m2", A, B).end(true, A, B, D).build();
            assertThat(assertOnly(h, Property.LIVENESS))
                    .anySatisfy(v -> assertThat(v.detail()).contains("d#1 is live at the end but never installed a view"))
                    .anySatisfy(v -> assertThat(v.detail()).contains("ended in view 2 [a#1, b#1] but the live members are"));
        }

        @Test
        void notCheckedWhenLivenessIsNotOwed() {
            assertClean(base().deliverAt("m2", A).request(B, "m3", FIFO).end(false, A, B, D).build());
        }
    }

    @Nested
    class StateTransfer {

        private History join(String... state) {
            return new HistoryBuilder().install(1, A, B)
                    .multicast(A, "m1", FIFO).deliverAt("m1", A, B)
                    .multicast(B, "m2", SAFE).deliverAt("m2", A, B)
                    .stateTransfer(C, 2, state)
                    .install(2, A, B, C)
                    .multicast(A, "m3", TOTAL).deliverAt("m3", A, B, C)
                    .build();
        }

        @Test
        void stateMatchingTheOldMembersPasses() {
            assertClean(join("m1", "m2"));
        }

        @Test
        void stateMissingADeliveredMessage() {
            assertThat(assertOnly(join("m1"), Property.STATE_TRANSFER))
                    .allSatisfy(v -> assertThat(v.detail()).contains("missing from the state [m2], extra in the state []"))
                    .hasSize(2); // both a and b witness it
        }

        @Test
        void stateWithAMessageNobodyHadDelivered() {
            assertThat(assertOnly(join("m1", "m2", "m9"), Property.STATE_TRANSFER).get(0).detail())
                    .contains("missing from the state [], extra in the state [m9]");
        }

        @Test
        void firstViewHasNoOldMembersToCompareWith() {
            assertClean(new HistoryBuilder().stateTransfer(A, 1).install(1, A).build());
        }

        private History deliversBeforeState(boolean broken) {
            HistoryBuilder h = new HistoryBuilder().install(1, A, B, C)
                    .multicast(A, "m1", FIFO).deliverAt("m1", A, B, C);
            if (broken) {
                h.stateTransfer(C, 2, "m1");
            }
            return h.install(2, A, B, C).build();
        }

        @Test
        void joinerDeliveredBeforeItsState() {
            assertClean(deliversBeforeState(false));
            // Its state holds m1, which it had delivered: that is an integrity fault as well.
            assertThat(assertReports(deliversBeforeState(true), Property.STATE_TRANSFER).get(0).detail())
                    .contains("c#1 delivered 1 message(s) before receiving its state for view 2");
        }
    }

    @Nested
    class Reporting {

        private History manyGhosts(int n) {
            HistoryBuilder h = new HistoryBuilder().install(1, A);
            for (int i = 0; i < n; i++) {
                h.deliverAs(A, "ghost" + i, A, FIFO, 1);
            }
            return h.build();
        }

        @Test
        void violationsPerPropertyAreCappedAndTheRestCounted() {
            List<Violation> violations = CHECKER.check(manyGhosts(100));
            assertThat(violations).hasSize(HistoryChecker.DEFAULT_MAX_VIOLATIONS_PER_PROPERTY + 1);
            assertThat(violations.get(violations.size() - 1).detail()).contains("80 more");
        }

        @Test
        void customCap() {
            List<Violation> violations = new HistoryChecker(5).check(manyGhosts(100));
            assertThat(violations).hasSize(6);
            assertThat(violations.get(5).detail()).contains("95 more");
            assertThatThrownBy(() -> new HistoryChecker(0)).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void longIdListsAreAbbreviated() {
            HistoryBuilder h = new HistoryBuilder().install(1, A, B);
            for (int i = 0; i < 30; i++) {
                h.multicast(A, String.format("m%02d", i), FIFO).deliver(A, String.format("m%02d", i));
            }
            List<Violation> violations = CHECKER.check(h.install(2, A, B).build());
            assertThat(violations).singleElement()
                    .satisfies(v -> assertThat(v.detail()).contains("m09, ... (30 in all)]").doesNotContain("m10"));
        }

        @Test
        void violationsComeInPropertyOrder() {
            History h = new HistoryBuilder().install(1, A, B)
                    .multicast(A, "m1", FIFO).multicast(A, "m2", FIFO)
                    .deliver(A, "m1", "m2").deliver(B, "m2") // order
                    .deliverAs(B, "ghost", A, FIFO, 1)       // integrity
                    .installAt(B, 1, A, B)                   // view agreement
                    .build();
            assertThat(CHECKER.check(h)).extracting(Violation::property)
                    .containsExactly(Property.VIEW_AGREEMENT, Property.INTEGRITY, Property.ORDER);
        }
    }
}
