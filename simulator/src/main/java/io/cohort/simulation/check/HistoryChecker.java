package io.cohort.simulation.check;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;
import io.cohort.simulation.check.HistoryIndex.MemberTrace;
import io.cohort.simulation.check.HistoryIndex.Stream;
import io.cohort.simulation.check.HistoryIndex.StreamKey;
import io.cohort.simulation.check.HistoryIndex.Transition;
import io.cohort.simulation.history.History;
import io.cohort.simulation.history.HistoryEvent;
import io.cohort.simulation.history.HistoryEvent.Delivered;
import io.cohort.simulation.history.HistoryEvent.MulticastRequested;
import io.cohort.simulation.history.HistoryEvent.Sent;
import io.cohort.simulation.history.HistoryEvent.StateTransferred;
import io.cohort.simulation.history.HistoryEvent.ViewInstalled;

import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Judges a recorded {@link History} against properties 1 to 8 of DESIGN.md section 2 (the test
 * oracle of the simulator and of real runs).
 *
 * <p>The checker runs on thousands of histories per test run, so each check works from indexes
 * built in one pass (per member, per view, per sender stream) and is linear or n log n in the
 * history size; the one quadratic factor is in the number of members of a view, which is small.
 * A broken run can break a property thousands of times, so at most
 * {@link #DEFAULT_MAX_VIOLATIONS_PER_PROPERTY} violations (or the configured cap) are reported per
 * property, followed by one violation saying how many more were found.
 *
 * <p>Instances hold no per-run state and may be shared between threads.
 */
public final class HistoryChecker {

    /** Violations reported per property before the rest are only counted. */
    public static final int DEFAULT_MAX_VIOLATIONS_PER_PROPERTY = 20;

    /** How many message ids a report lists before it abbreviates. */
    private static final int MAX_IDS_SHOWN = 10;

    private final int maxViolationsPerProperty;

    /** Creates a checker that reports at most {@link #DEFAULT_MAX_VIOLATIONS_PER_PROPERTY} violations per property. */
    public HistoryChecker() {
        this(DEFAULT_MAX_VIOLATIONS_PER_PROPERTY);
    }

    /**
     * Creates a checker with a custom cap on reported violations.
     *
     * @param maxViolationsPerProperty violations reported per property before the rest are only counted
     * @throws IllegalArgumentException if the cap is not positive
     */
    public HistoryChecker(int maxViolationsPerProperty) {
        if (maxViolationsPerProperty < 1) {
            throw new IllegalArgumentException("cap must be >= 1, was " + maxViolationsPerProperty);
        }
        this.maxViolationsPerProperty = maxViolationsPerProperty;
    }

    // ---------------------------------------------------------------------------------------------
    // Public API: everything, or one property at a time.
    // ---------------------------------------------------------------------------------------------

    /**
     * Checks every property (liveness only if the history says it is owed).
     *
     * @param history the history
     * @return the violations, grouped by property in property order; empty if the history is correct
     */
    public List<Violation> check(History history) {
        HistoryIndex index = HistoryIndex.of(history);
        Sink sink = new Sink(maxViolationsPerProperty);
        viewAgreement(index, sink);
        integrity(index, sink);
        sendingViewDelivery(index, sink);
        virtualSynchrony(index, sink);
        order(index, sink);
        safeUniformity(index, sink);
        liveness(index, sink);
        stateTransfer(index, sink);
        return sink.violations();
    }

    /**
     * Property 1: every installation of a view id has the same member list; each member
     * incarnation installs strictly increasing view ids, each containing itself; and a member that
     * installs a then b never skips a view between them that contains it.
     *
     * @param history the history
     * @return the violations of property 1
     */
    public List<Violation> checkViewAgreement(History history) {
        return checkOne(history, this::viewAgreement);
    }

    /**
     * Property 2: every delivered id was sent, by the named sender, with the same order; no
     * member incarnation delivers an id twice or delivers an id already in its transferred state;
     * every Sent follows a MulticastRequested of the same id at the same member; no id is sent twice.
     *
     * @param history the history
     * @return the violations of property 2
     */
    public List<Violation> checkIntegrity(History history) {
        return checkOne(history, this::integrity);
    }

    /**
     * Property 3: each delivery's view is the view of its Sent and the last view the receiver
     * installed before it (nothing is delivered before the first installation); likewise a Sent's
     * view is the sender's current view.
     *
     * @param history the history
     * @return the violations of property 3
     */
    public List<Violation> checkSendingViewDelivery(History history) {
        return checkOne(history, this::sendingViewDelivery);
    }

    /**
     * Property 4: two members that both install V and then, as their next view, the same V',
     * delivered the same set of ids in V.
     *
     * @param history the history
     * @return the violations of property 4
     */
    public List<Violation> checkVirtualSynchrony(History history) {
        return checkOne(history, this::virtualSynchrony);
    }

    /**
     * Property 5: per view, each receiver delivers each sender's FIFO, CAUSAL and TOTAL+SAFE
     * messages as a prefix of what the sender sent in that stream; TOTAL and SAFE messages are
     * delivered in one relative order by all members; and a CAUSAL message is delivered only after
     * every CAUSAL message its sender had delivered or sent before sending it.
     *
     * @param history the history
     * @return the violations of property 5
     */
    public List<Violation> checkOrder(History history) {
        return checkOne(history, this::order);
    }

    /**
     * Property 6: a SAFE message delivered in V by any member (even one that then crashed) is
     * delivered in V by every member that installs V and then the next view of the global
     * sequence.
     *
     * @param history the history
     * @return the violations of property 6
     */
    public List<Violation> checkSafeUniformity(History history) {
        return checkOne(history, this::safeUniformity);
    }

    /**
     * Property 7, only if {@link History#livenessExpected()}: the live members all end in the same
     * view, whose members are exactly they; each of their requests was sent; and each message a
     * live member sent in V is delivered by every live member that installed V.
     *
     * @param history the history
     * @return the violations of property 7; empty if liveness is not owed
     */
    public List<Violation> checkLiveness(History history) {
        return checkOne(history, this::liveness);
    }

    /**
     * Property 8: a joiner's transferred state for view W equals what every old member passing
     * into W held when installing W (its own transferred state plus everything it had delivered);
     * and a joiner delivers nothing before its state arrives.
     *
     * @param history the history
     * @return the violations of property 8
     */
    public List<Violation> checkStateTransfer(History history) {
        return checkOne(history, this::stateTransfer);
    }

    private List<Violation> checkOne(History history, Check check) {
        Sink sink = new Sink(maxViolationsPerProperty);
        check.run(HistoryIndex.of(Objects.requireNonNull(history, "history")), sink);
        return sink.violations();
    }

    /** One property's check over an indexed history. */
    @FunctionalInterface
    private interface Check {
        void run(HistoryIndex index, Sink sink);
    }

    // ---------------------------------------------------------------------------------------------
    // 1. View agreement
    // ---------------------------------------------------------------------------------------------

    private void viewAgreement(HistoryIndex index, Sink sink) {
        for (MemberTrace trace : index.traces()) {
            checkSameMemberList(index, trace, sink);
            checkInstallSequence(index, trace, sink);
        }
    }

    /** Compares each installation with the first installation of the same view id (by anyone). */
    private void checkSameMemberList(HistoryIndex index, MemberTrace trace, Sink sink) {
        for (ViewInstalled v : trace.installs()) {
            List<MemberId> reference = index.views().get(v.viewId());
            if (!reference.equals(v.members())) {
                sink.report(Property.VIEW_AGREEMENT, () -> trace.member() + " installed view " + v.viewId()
                        + " as " + v.members() + " but it was first installed as " + reference
                        + " (" + index.at(v) + ")");
            }
        }
    }

    private void checkInstallSequence(HistoryIndex index, MemberTrace trace, Sink sink) {
        ViewInstalled previous = null;
        for (ViewInstalled v : trace.installs()) {
            if (!v.members().contains(trace.member())) {
                sink.report(Property.VIEW_AGREEMENT, () -> trace.member() + " installed view " + v.viewId()
                        + " " + v.members() + " which does not contain it (" + index.at(v) + ")");
            }
            if (previous != null) {
                long from = previous.viewId();
                if (v.viewId() <= from) {
                    sink.report(Property.VIEW_AGREEMENT, () -> trace.member() + " installed view " + v.viewId()
                            + " after view " + from + ": view ids must strictly increase (" + index.at(v) + ")");
                } else {
                    checkNoSkippedView(index, trace.member(), from, v.viewId(), sink);
                }
            }
            previous = v;
        }
    }

    /** A member passing from a to b must not leave out a view in between that counts it as a member. */
    private void checkNoSkippedView(HistoryIndex index, MemberId member, long from, long to, Sink sink) {
        for (Map.Entry<Long, List<MemberId>> skipped : index.views().subMap(from, false, to, false).entrySet()) {
            if (skipped.getValue().contains(member)) {
                sink.report(Property.VIEW_AGREEMENT, () -> member + " went from view " + from + " to view " + to
                        + " without installing view " + skipped.getKey() + " " + skipped.getValue()
                        + " which contains it");
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // 2. Integrity
    // ---------------------------------------------------------------------------------------------

    private void integrity(HistoryIndex index, Sink sink) {
        checkSentOnce(index, sink);
        for (MemberTrace trace : index.traces()) {
            checkSendsWereRequested(index, trace, sink);
            checkDeliveriesMatchSends(index, trace, sink);
            checkNoDuplicateDelivery(index, trace, sink);
            checkNoRedeliveryOfState(index, trace, sink);
        }
    }

    private void checkSentOnce(HistoryIndex index, Sink sink) {
        for (Sent again : index.repeatedSends()) {
            Sent first = index.sent(again.messageId());
            sink.report(Property.INTEGRITY, () -> "message " + again.messageId() + " sent twice: by " + first.member()
                    + " in view " + first.viewId() + " and again by " + again.member() + " in view "
                    + again.viewId() + " (" + index.at(again) + ")");
        }
    }

    private void checkSendsWereRequested(HistoryIndex index, MemberTrace trace, Sink sink) {
        Set<String> requested = new HashSet<>();
        for (HistoryEvent e : trace.events()) {
            if (e instanceof MulticastRequested r) {
                requested.add(r.messageId());
            } else if (e instanceof Sent s && !requested.contains(s.messageId())) {
                sink.report(Property.INTEGRITY, () -> trace.member() + " sent " + s.messageId()
                        + " without a prior multicast request for it (" + index.at(s) + ")");
            }
        }
    }

    private void checkDeliveriesMatchSends(HistoryIndex index, MemberTrace trace, Sink sink) {
        for (HistoryEvent e : trace.events()) {
            if (!(e instanceof Delivered d)) {
                continue;
            }
            Sent s = index.sent(d.messageId());
            if (s == null) {
                sink.report(Property.INTEGRITY, () -> trace.member() + " delivered " + d.messageId()
                        + " which was never sent (" + index.at(d) + ")");
            } else if (!s.member().equals(d.sender()) || s.order() != d.order()) {
                sink.report(Property.INTEGRITY, () -> trace.member() + " delivered " + d.messageId() + " as "
                        + d.order() + " from " + d.sender() + " but it was sent as " + s.order() + " by "
                        + s.member() + " (" + index.at(d) + ")");
            }
        }
    }

    private void checkNoDuplicateDelivery(HistoryIndex index, MemberTrace trace, Sink sink) {
        Set<String> seen = new HashSet<>();
        for (HistoryEvent e : trace.events()) {
            if (e instanceof Delivered d && !seen.add(d.messageId())) {
                sink.report(Property.INTEGRITY, () -> trace.member() + " delivered " + d.messageId()
                        + " twice (" + index.at(d) + ")");
            }
        }
    }

    /** A joiner's state already reflects these messages: delivering one again would apply it twice. */
    private void checkNoRedeliveryOfState(HistoryIndex index, MemberTrace trace, Sink sink) {
        Set<String> state = new HashSet<>();
        for (HistoryEvent e : trace.events()) {
            if (e instanceof StateTransferred st) {
                state.addAll(st.stateMessageIds());
            }
        }
        if (state.isEmpty()) {
            return;
        }
        for (HistoryEvent e : trace.events()) {
            if (e instanceof Delivered d && state.contains(d.messageId())) {
                sink.report(Property.INTEGRITY, () -> trace.member() + " delivered " + d.messageId()
                        + " which its transferred state already contains (" + index.at(d) + ")");
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // 3. Sending-view delivery
    // ---------------------------------------------------------------------------------------------

    private void sendingViewDelivery(HistoryIndex index, Sink sink) {
        for (MemberTrace trace : index.traces()) {
            checkDeliveredInSendingView(index, trace, sink);
            checkActsInCurrentView(index, trace, sink);
        }
    }

    private void checkDeliveredInSendingView(HistoryIndex index, MemberTrace trace, Sink sink) {
        for (HistoryEvent e : trace.events()) {
            if (e instanceof Delivered d) {
                Sent s = index.sent(d.messageId());
                if (s != null && s.viewId() != d.viewId()) {
                    sink.report(Property.SENDING_VIEW_DELIVERY, () -> trace.member() + " delivered "
                            + d.messageId() + " in view " + d.viewId() + " but it was sent in view " + s.viewId()
                            + " (" + index.at(d) + ")");
                }
            }
        }
    }

    /** Deliveries and sends happen in the member's current view; before the first view there is none. */
    private void checkActsInCurrentView(HistoryIndex index, MemberTrace trace, Sink sink) {
        Long current = null;
        for (HistoryEvent e : trace.events()) {
            final Long view = current;
            if (e instanceof ViewInstalled v) {
                current = v.viewId();
            } else if (e instanceof Delivered d && (view == null || view != d.viewId())) {
                sink.report(Property.SENDING_VIEW_DELIVERY, () -> trace.member() + " delivered " + d.messageId()
                        + " in view " + d.viewId() + " while its current view was "
                        + (view == null ? "none (no view installed yet)" : view) + " (" + index.at(d) + ")");
            } else if (e instanceof Sent s && (view == null || view != s.viewId())) {
                sink.report(Property.SENDING_VIEW_DELIVERY, () -> trace.member() + " sent " + s.messageId()
                        + " in view " + s.viewId() + " while its current view was "
                        + (view == null ? "none (no view installed yet)" : view) + " (" + index.at(s) + ")");
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // 4. Virtual synchrony
    // ---------------------------------------------------------------------------------------------

    /** Compares every member making a transition V to V' with the first member seen making it. */
    private void virtualSynchrony(HistoryIndex index, Sink sink) {
        Map<Transition, MemberTrace> firstToPass = new HashMap<>();
        for (MemberTrace trace : index.traces()) {
            for (Transition t : trace.transitions()) {
                MemberTrace reference = firstToPass.putIfAbsent(t, trace);
                if (reference != null) {
                    compareDeliveredSets(reference, trace, t, sink);
                }
            }
        }
    }

    private void compareDeliveredSets(MemberTrace a, MemberTrace b, Transition t, Sink sink) {
        Set<String> inA = a.deliveredIn(t.from());
        Set<String> inB = b.deliveredIn(t.from());
        if (inA.equals(inB)) {
            return;
        }
        sink.report(Property.VIRTUAL_SYNCHRONY, () -> a.member() + " and " + b.member() + " both passed from view "
                + t.from() + " to view " + t.to() + " but delivered different sets in view " + t.from()
                + ": only " + a.member() + " delivered " + sample(difference(inA, inB))
                + ", only " + b.member() + " delivered " + sample(difference(inB, inA)));
    }

    // ---------------------------------------------------------------------------------------------
    // 5. Order
    // ---------------------------------------------------------------------------------------------

    private void order(HistoryIndex index, Sink sink) {
        for (MemberTrace trace : index.traces()) {
            checkSenderPrefixes(index, trace, sink);
        }
        checkTotalOrder(index, sink);
        checkCausalOrder(index, sink);
    }

    /**
     * FIFO, and the per-sender part of CAUSAL and of TOTAL+SAFE: a receiver's deliveries of one
     * sender's stream in one view are, in order, a prefix of what the sender sent in it.
     */
    private void checkSenderPrefixes(HistoryIndex index, MemberTrace trace, Sink sink) {
        Map<StreamKey, Integer> expectedNext = new HashMap<>();
        Set<String> seen = new HashSet<>();
        for (HistoryEvent e : trace.events()) {
            if (!(e instanceof Delivered d) || !seen.add(d.messageId()) || !matchesItsSend(index, d)) {
                continue; // duplicates, unsent or mismatched deliveries are properties 2 and 3's findings
            }
            StreamKey key = new StreamKey(d.viewId(), d.sender(), Stream.of(d.order()));
            List<String> sent = index.sentStream(key);
            int expected = expectedNext.getOrDefault(key, 0);
            int actual = index.streamPosition(d.messageId());
            if (actual != expected) {
                String wanted = expected < sent.size() ? sent.get(expected) : "nothing";
                sink.report(Property.ORDER, () -> streamLabel(key.stream()) + ": " + trace.member() + " delivered "
                        + d.messageId() + " (message #" + (actual + 1) + " of " + d.sender() + " in view "
                        + d.viewId() + ") when the next in that sender's order was " + wanted
                        + " (#" + (expected + 1) + ") (" + index.at(d) + ")");
            }
            // Resynchronise on what was delivered so one misordering is reported once, not for every later message.
            expectedNext.put(key, Math.max(expected, actual + 1));
        }
    }

    private static String streamLabel(Stream stream) {
        return switch (stream) {
            case FIFO -> "FIFO order";
            case CAUSAL -> "causal order (per sender)";
            case TOTAL_SAFE -> "total order (per sender, TOTAL+SAFE)";
        };
    }

    /** True if the delivery names the sender, order stream and view its Sent recorded. */
    private static boolean matchesItsSend(HistoryIndex index, Delivered d) {
        Sent s = index.sent(d.messageId());
        return s != null && s.member().equals(d.sender()) && s.viewId() == d.viewId()
                && Stream.of(s.order()) == Stream.of(d.order());
    }

    /**
     * Total order: per view, for each pair of members, the TOTAL/SAFE messages both delivered must
     * appear in the same relative order. Positions in one member's sequence are looked up while
     * walking the other's, so each pair costs linear time.
     */
    private void checkTotalOrder(HistoryIndex index, Sink sink) {
        for (Map.Entry<Long, Map<MemberId, List<String>>> view : totalSequencesByView(index).entrySet()) {
            List<Map.Entry<MemberId, List<String>>> members = new ArrayList<>(view.getValue().entrySet());
            List<Map<String, Integer>> positions = new ArrayList<>();
            for (Map.Entry<MemberId, List<String>> m : members) {
                positions.add(positionsOf(m.getValue()));
            }
            for (int i = 0; i < members.size(); i++) {
                for (int j = i + 1; j < members.size(); j++) {
                    checkSameRelativeOrder(view.getKey(), members.get(i).getKey(), positions.get(i),
                            members.get(j).getKey(), members.get(j).getValue(), sink);
                }
            }
        }
    }

    /**
     * Each member's TOTAL/SAFE deliveries per view, first occurrence only, in delivery order.
     * TOTAL is non-uniform: a member that does not pass from a view into its successor (it crashed
     * or was excluded) may have delivered TOTAL messages in an order the survivors never learned,
     * exactly as it may have delivered TOTAL messages they never deliver. For such a member only
     * its SAFE deliveries, whose order is uniform, are compared.
     */
    private static Map<Long, Map<MemberId, List<String>>> totalSequencesByView(HistoryIndex index) {
        Map<Long, Map<MemberId, List<String>>> byView = new TreeMap<>();
        for (MemberTrace trace : index.traces()) {
            Set<String> seen = new HashSet<>();
            Set<Long> survived = new HashSet<>();
            for (Transition t : trace.transitions()) {
                if (Objects.equals(index.successor(t.from()), t.to())) {
                    survived.add(t.from());
                }
            }
            boolean liveAtEnd = index.history().liveAtEnd().contains(trace.member());
            for (HistoryEvent e : trace.events()) {
                if (e instanceof Delivered d && Stream.of(d.order()) == Stream.TOTAL_SAFE
                        && (d.order() == DeliveryOrder.SAFE || survived.contains(d.viewId())
                            || (liveAtEnd && index.successor(d.viewId()) == null))
                        && seen.add(d.messageId())) {
                    byView.computeIfAbsent(d.viewId(), k -> new LinkedHashMap<>())
                            .computeIfAbsent(trace.member(), k -> new ArrayList<>())
                            .add(d.messageId());
                }
            }
        }
        return byView;
    }

    private static Map<String, Integer> positionsOf(List<String> sequence) {
        Map<String, Integer> positions = new HashMap<>(sequence.size() * 2);
        for (int i = 0; i < sequence.size(); i++) {
            positions.put(sequence.get(i), i);
        }
        return positions;
    }

    /** Walks b's sequence; the common messages' positions in a must increase. Reports the first inversion. */
    private void checkSameRelativeOrder(long viewId, MemberId a, Map<String, Integer> positionsInA,
                                        MemberId b, List<String> sequenceOfB, Sink sink) {
        int highest = -1;
        String highestId = null;
        for (String id : sequenceOfB) {
            Integer position = positionsInA.get(id);
            if (position == null) {
                continue;
            }
            if (position < highest) {
                String earlier = highestId;
                sink.report(Property.ORDER, () -> "total order: in view " + viewId + " " + b + " delivered "
                        + earlier + " before " + id + " but " + a + " delivered " + id + " before " + earlier);
                return;
            }
            highest = position;
            highestId = id;
        }
    }

    /**
     * Causal order by vector timestamps: each CAUSAL send gets the vector of what its sender had
     * delivered (and, for itself, sent) in the view; a receiver must have delivered at least that
     * much from each member before delivering it.
     */
    private void checkCausalOrder(HistoryIndex index, Sink sink) {
        Map<String, Map<MemberId, Integer>> timestamps = new HashMap<>();
        for (MemberTrace trace : index.traces()) {
            stampCausalSends(trace, timestamps);
        }
        for (MemberTrace trace : index.traces()) {
            checkCausalDeliveries(index, trace, timestamps, sink);
        }
    }

    private static void stampCausalSends(MemberTrace trace, Map<String, Map<MemberId, Integer>> timestamps) {
        Map<Long, Map<MemberId, Integer>> deliveredPerView = new HashMap<>();
        Map<Long, Integer> sentPerView = new HashMap<>();
        for (HistoryEvent e : trace.events()) {
            if (e instanceof Delivered d && d.order() == DeliveryOrder.CAUSAL) {
                deliveredPerView.computeIfAbsent(d.viewId(), k -> new HashMap<>()).merge(d.sender(), 1, Integer::sum);
            } else if (e instanceof Sent s && s.order() == DeliveryOrder.CAUSAL) {
                Map<MemberId, Integer> vector = new HashMap<>(deliveredPerView.getOrDefault(s.viewId(), Map.of()));
                // The sender's own entry counts its sends: its own messages come back to it later.
                int ownSent = sentPerView.getOrDefault(s.viewId(), 0);
                vector.put(trace.member(), ownSent);
                sentPerView.put(s.viewId(), ownSent + 1);
                timestamps.putIfAbsent(s.messageId(), vector);
            }
        }
    }

    private void checkCausalDeliveries(HistoryIndex index, MemberTrace trace,
                                       Map<String, Map<MemberId, Integer>> timestamps, Sink sink) {
        Map<Long, Map<MemberId, Integer>> deliveredPerView = new HashMap<>();
        Set<String> seen = new HashSet<>();
        for (HistoryEvent e : trace.events()) {
            if (!(e instanceof Delivered d) || d.order() != DeliveryOrder.CAUSAL || !seen.add(d.messageId())) {
                continue;
            }
            Map<MemberId, Integer> delivered = deliveredPerView.computeIfAbsent(d.viewId(), k -> new HashMap<>());
            Map<MemberId, Integer> vector = timestamps.get(d.messageId());
            if (vector != null && matchesItsSend(index, d)) {
                for (Map.Entry<MemberId, Integer> need : vector.entrySet()) {
                    int have = delivered.getOrDefault(need.getKey(), 0);
                    if (have < need.getValue()) {
                        sink.report(Property.ORDER, () -> "causal order: " + trace.member() + " delivered "
                                + d.messageId() + " from " + d.sender() + " in view " + d.viewId()
                                + " after only " + have + " causal messages from " + need.getKey()
                                + " but its sender had seen " + need.getValue() + " (" + index.at(d) + ")");
                    }
                }
            }
            delivered.merge(d.sender(), 1, Integer::sum);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // 6. SAFE uniformity
    // ---------------------------------------------------------------------------------------------

    private void safeUniformity(HistoryIndex index, Sink sink) {
        Map<Long, Set<String>> safeDelivered = safeDeliveredByView(index);
        for (MemberTrace trace : index.traces()) {
            for (Transition t : trace.transitions()) {
                Set<String> owed = safeDelivered.get(t.from());
                if (owed != null && Objects.equals(index.successor(t.from()), t.to())) {
                    checkHoldsAll(trace, t, owed, sink);
                }
            }
        }
    }

    /** SAFE ids delivered in each view by anyone at all, crashed members included. */
    private static Map<Long, Set<String>> safeDeliveredByView(HistoryIndex index) {
        Map<Long, Set<String>> byView = new HashMap<>();
        for (MemberTrace trace : index.traces()) {
            for (HistoryEvent e : trace.events()) {
                if (e instanceof Delivered d && d.order() == DeliveryOrder.SAFE) {
                    byView.computeIfAbsent(d.viewId(), k -> new LinkedHashSet<>()).add(d.messageId());
                }
            }
        }
        return byView;
    }

    private void checkHoldsAll(MemberTrace trace, Transition t, Set<String> owed, Sink sink) {
        Set<String> delivered = trace.deliveredIn(t.from());
        List<String> missing = new ArrayList<>();
        for (String id : owed) {
            if (!delivered.contains(id)) {
                missing.add(id);
            }
        }
        if (!missing.isEmpty()) {
            sink.report(Property.SAFE_UNIFORMITY, () -> trace.member() + " passed from view " + t.from()
                    + " to the next view " + t.to() + " without delivering SAFE messages that were delivered in view "
                    + t.from() + ": " + sample(missing));
        }
    }

    // ---------------------------------------------------------------------------------------------
    // 7. Liveness
    // ---------------------------------------------------------------------------------------------

    private void liveness(HistoryIndex index, Sink sink) {
        if (!index.history().livenessExpected()) {
            return;
        }
        Set<MemberId> live = index.history().liveAtEnd();
        checkFinalView(index, live, sink);
        for (MemberId member : live) {
            MemberTrace trace = index.trace(member);
            if (trace != null) {
                checkRequestsSent(index, trace, sink);
                checkSendsDeliveredToLive(index, trace, live, sink);
            }
        }
    }

    /** The live members converge: each installed a view, the last one is the same, and it is exactly them. */
    private void checkFinalView(HistoryIndex index, Set<MemberId> live, Sink sink) {
        Map<MemberId, ViewInstalled> lastViews = new LinkedHashMap<>();
        for (MemberId member : live) {
            MemberTrace trace = index.trace(member);
            if (trace == null || trace.installs().isEmpty()) {
                sink.report(Property.LIVENESS, () -> member + " is live at the end but never installed a view");
            } else {
                lastViews.put(member, trace.installs().get(trace.installs().size() - 1));
            }
        }
        Set<Long> lastIds = new TreeSet<>();
        lastViews.values().forEach(v -> lastIds.add(v.viewId()));
        if (lastIds.size() > 1) {
            Map<MemberId, Long> byMember = new LinkedHashMap<>();
            lastViews.forEach((m, v) -> byMember.put(m, v.viewId()));
            sink.report(Property.LIVENESS, () -> "live members ended in different views: " + byMember);
        } else if (lastIds.size() == 1) {
            ViewInstalled last = lastViews.values().iterator().next();
            if (!Set.copyOf(last.members()).equals(live)) {
                sink.report(Property.LIVENESS, () -> "live members ended in view " + last.viewId() + " "
                        + last.members() + " but the live members are " + live);
            }
        }
    }

    private void checkRequestsSent(HistoryIndex index, MemberTrace trace, Sink sink) {
        for (HistoryEvent e : trace.events()) {
            if (e instanceof MulticastRequested r) {
                Sent s = index.sent(r.messageId());
                if (s == null || !s.member().equals(trace.member())) {
                    sink.report(Property.LIVENESS, () -> "live member " + trace.member() + " requested "
                            + r.messageId() + " but never sent it (" + index.at(r) + ")");
                }
            }
        }
    }

    private void checkSendsDeliveredToLive(HistoryIndex index, MemberTrace sender, Set<MemberId> live, Sink sink) {
        for (HistoryEvent e : sender.events()) {
            if (!(e instanceof Sent s)) {
                continue;
            }
            for (MemberId member : live) {
                MemberTrace receiver = index.trace(member);
                if (receiver != null && receiver.installed(s.viewId()) && !receiver.delivered(s.messageId())) {
                    sink.report(Property.LIVENESS, () -> "live member " + member + " installed view " + s.viewId()
                            + " but never delivered " + s.messageId() + " sent in it by live member "
                            + sender.member() + " (" + index.at(s) + ")");
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // 8. State transfer
    // ---------------------------------------------------------------------------------------------

    private void stateTransfer(HistoryIndex index, Sink sink) {
        for (MemberTrace joiner : index.traces()) {
            int deliveredSoFar = 0;
            for (HistoryEvent e : joiner.events()) {
                if (e instanceof Delivered) {
                    deliveredSoFar++;
                } else if (e instanceof StateTransferred st) {
                    checkNothingDeliveredBefore(index, joiner, st, deliveredSoFar, sink);
                    checkStateMatchesOldMembers(index, st, sink);
                }
            }
        }
    }

    /** The state replaces whatever a joiner had: anything delivered earlier would be lost or doubled. */
    private void checkNothingDeliveredBefore(HistoryIndex index, MemberTrace joiner, StateTransferred st,
                                             int deliveredBefore, Sink sink) {
        if (deliveredBefore > 0) {
            sink.report(Property.STATE_TRANSFER, () -> joiner.member() + " delivered " + deliveredBefore
                    + " message(s) before receiving its state for view " + st.viewId() + " (" + index.at(st) + ")");
        }
    }

    /**
     * Compares the state with what each old member passing into the joined view held on
     * installing it; a view with no predecessor, or no old member passing, has nothing to compare.
     */
    private void checkStateMatchesOldMembers(HistoryIndex index, StateTransferred st, Sink sink) {
        Long previous = index.predecessor(st.viewId());
        if (previous == null) {
            return;
        }
        for (MemberTrace old : index.traces()) {
            if (!old.installed(st.viewId()) || !old.installed(previous)) {
                continue;
            }
            Set<String> held = old.holdingsWhenInstalling(st.viewId());
            if (!held.equals(st.stateMessageIds())) {
                sink.report(Property.STATE_TRANSFER, () -> st.member() + " received a state for view " + st.viewId()
                        + " that differs from what " + old.member() + " held when passing from view " + previous
                        + ": missing from the state " + sample(difference(held, st.stateMessageIds()))
                        + ", extra in the state " + sample(difference(st.stateMessageIds(), held))
                        + " (" + index.at(st) + ")");
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------------

    private static List<String> difference(Set<String> a, Set<String> b) {
        List<String> onlyInA = new ArrayList<>();
        for (String id : a) {
            if (!b.contains(id)) {
                onlyInA.add(id);
            }
        }
        return onlyInA;
    }

    /** Lists ids sorted (stable reports) and abbreviated, so one report stays one readable line. */
    private static String sample(Collection<String> ids) {
        List<String> sorted = new ArrayList<>(new TreeSet<>(ids));
        if (sorted.size() <= MAX_IDS_SHOWN) {
            return sorted.toString();
        }
        return sorted.subList(0, MAX_IDS_SHOWN).toString().replaceFirst("]$", "")
                + ", ... (" + sorted.size() + " in all)]";
    }

    /**
     * Collects violations, keeping at most a cap per property and counting the rest. Details are
     * built lazily so a badly broken run costs no string building beyond the cap.
     */
    private static final class Sink {

        private final int cap;
        private final Map<Property, List<Violation>> kept = new EnumMap<>(Property.class);
        private final Map<Property, Integer> dropped = new EnumMap<>(Property.class);

        Sink(int cap) {
            this.cap = cap;
        }

        void report(Property property, Supplier<String> detail) {
            List<Violation> list = kept.computeIfAbsent(property, k -> new ArrayList<>());
            if (list.size() < cap) {
                list.add(new Violation(property, detail.get()));
            } else {
                dropped.merge(property, 1, Integer::sum);
            }
        }

        /** @return the kept violations in property order, each property's followed by a count of the dropped */
        List<Violation> violations() {
            List<Violation> all = new ArrayList<>();
            for (Property property : Property.values()) {
                all.addAll(kept.getOrDefault(property, List.of()));
                Integer more = dropped.get(property);
                if (more != null) {
                    all.add(new Violation(property, "... and " + more + " more violation(s) of this property not shown"));
                }
            }
            return all;
        }
    }
}
