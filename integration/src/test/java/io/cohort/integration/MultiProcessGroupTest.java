package io.cohort.integration;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;
import io.cohort.integration.harness.ClusterHarness;
import io.cohort.integration.harness.ClusterHarness.CheckResult;
import io.cohort.integration.harness.ClusterHarness.Node;
import io.cohort.integration.harness.ClusterHarness.ViewLine;
import io.cohort.integration.harness.LineLog;
import io.cohort.integration.history.HistoryFormat;
import io.cohort.simulation.check.HistoryChecker;
import io.cohort.simulation.check.Property;
import io.cohort.simulation.check.Violation;
import io.cohort.simulation.history.History;
import io.cohort.simulation.history.HistoryEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Groups of 3 to 6 member JVMs on 127.0.0.1 under multicast load, with crashes (SIGKILL),
 * pauses (SIGSTOP/SIGCONT), leaves and joins. Each run's merged history must pass every
 * property of the history checker (DESIGN.md section 2, properties 1 to 8, liveness included),
 * plus the scenario's own claim.
 */
@Timeout(180)
class MultiProcessGroupTest {

    private static final DeliveryOrder[] ALL_ORDERS = DeliveryOrder.values();
    /** Multicasts per second per member: a few hundred 1 KiB messages per second in the group. */
    private static final int RATE = 200;
    private static final Duration PROGRESS = Duration.ofSeconds(60);

    private ClusterHarness harness;
    private String runName;

    @BeforeEach
    void name(TestInfo info) {
        String method = info.getTestMethod().orElseThrow().getName();
        String display = info.getDisplayName();
        // Parameterized runs of one method get a directory each.
        runName = display.startsWith(method) ? method : method + "-" + display.replaceAll("[^A-Za-z0-9]+", "-");
    }

    @AfterEach
    void destroyProcesses() {
        if (harness != null) {
            harness.close();
        }
    }

    private ClusterHarness cluster(int seeds) {
        harness = new ClusterHarness(runName, seeds, ClusterHarness.Settings.fast());
        return harness;
    }

    /** Starts every seed at once, joins them all at once, and waits for one view of all of them. */
    private ViewLine startGroup(ClusterHarness h) {
        h.startAll();
        h.join(h.nodes());
        return h.awaitOneView(h.nodes(), ClusterHarness.SETTLE);
    }

    /** Starts the group, then loads it in every order until each member delivered {@code progress} messages. */
    private ViewLine startLoadedGroup(ClusterHarness h, int progress) {
        ViewLine view = startGroup(h);
        h.load(h.nodes(), RATE, ALL_ORDERS);
        h.awaitProgress(h.nodes(), progress, PROGRESS);
        return view;
    }

    private static void assertPassed(CheckResult result) {
        assertThat(result.passed()).as(result.report()).isTrue();
    }

    private static long minCount(List<Node> nodes) {
        return nodes.stream().mapToLong(n -> n.status().count()).min().orElseThrow();
    }

    private Node byName(String name) {
        return harness.nodes().stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
    }

    private static List<Node> except(List<Node> all, Node excluded) {
        List<Node> out = new ArrayList<>(all);
        out.remove(excluded);
        return out;
    }

    /** Each live member delivered messages of every order from every live member. */
    private static void assertEveryOrderFlowed(CheckResult result, List<Node> live) {
        for (Node receiver : live) {
            MemberId r = receiver.incarnation();
            Map<DeliveryOrder, Long> byOrder = new EnumMap<>(DeliveryOrder.class);
            for (HistoryEvent e : result.history().events()) {
                if (e instanceof HistoryEvent.Delivered d && d.member().equals(r)) {
                    byOrder.merge(d.order(), 1L, Long::sum);
                }
            }
            assertThat(byOrder.keySet()).as("orders delivered at %s: %s", r, byOrder).containsExactlyInAnyOrder(ALL_ORDERS);
        }
    }

    // ----------------------------------------------------------------------------- steady state

    @Test
    void threeMembersMulticastAllOrders() {
        ClusterHarness h = cluster(3);
        startLoadedGroup(h, 1_500);
        CheckResult result = h.quiesceAndCheck(h.nodes());
        assertPassed(result);
        assertEveryOrderFlowed(result, h.nodes());
        assertTheVerdictIsNotVacuous(result, h.nodes());
    }

    /**
     * The same real history with one delivery of a live member removed must fail the checker: a
     * harness that recorded or merged nothing useful would pass every run.
     */
    private static void assertTheVerdictIsNotVacuous(CheckResult result, List<Node> live) {
        MemberId victim = live.get(live.size() - 1).incarnation();
        History tampered = new History();
        boolean dropped = false;
        for (HistoryEvent e : result.history().events()) {
            if (!dropped && e instanceof HistoryEvent.Delivered d && d.member().equals(victim)) {
                dropped = true;
                continue;
            }
            tampered.record(e);
        }
        tampered.end(result.history().liveAtEnd(), true);
        assertThat(new HistoryChecker().check(tampered)).extracting(Violation::property)
                .contains(Property.LIVENESS, Property.ORDER);
    }

    /** Also the mass start-up case: five processes started together, all asked to join at the same moment. */
    @Test
    void fiveMembersStartedAtOnceConvergeAndMulticastAllOrders() {
        ClusterHarness h = cluster(5);
        ViewLine view = startGroup(h);
        assertThat(view.members()).hasSize(5);
        h.load(h.nodes(), RATE, ALL_ORDERS);
        h.awaitProgress(h.nodes(), 2_000, PROGRESS);
        CheckResult result = h.quiesceAndCheck(h.nodes());
        assertPassed(result);
        assertEveryOrderFlowed(result, h.nodes());
    }

    // ---------------------------------------------------------------------------------- crashes

    @Test
    void killingANonCoordinatorUnderLoad() {
        killUnderLoad(false);
    }

    @Test
    void killingTheCoordinatorUnderLoad() {
        killUnderLoad(true);
    }

    /**
     * Kills one of three members with SIGKILL under load. The survivors must install the same
     * next view (same id, exactly the two of them); the checker covers that a message one survivor
     * delivered in the old view is delivered by the other too (virtual synchrony).
     */
    private void killUnderLoad(boolean coordinator) {
        ClusterHarness h = cluster(3);
        ViewLine view = startLoadedGroup(h, 600);

        Node victim = coordinator ? byName(view.members().get(0).name()) : byName(view.members().get(1).name());
        List<Node> survivors = except(h.nodes(), victim);
        Map<Node, Integer> marks = new LinkedHashMap<>();
        survivors.forEach(n -> marks.put(n, n.process().stdout().size()));
        h.kill9(victim);

        List<String> nextViews = new ArrayList<>();
        marks.forEach((n, mark) -> nextViews.add(n.process().await(mark, l -> l.startsWith("VIEW "),
                ClusterHarness.SETTLE).line()));
        assertThat(nextViews).as("first view each survivor installed after the kill").containsOnly(nextViews.get(0));
        ViewLine next = ViewLine.parse(nextViews.get(0));
        assertThat(next.viewId()).isGreaterThan(view.viewId());
        assertThat(next.members()).containsExactlyInAnyOrder(survivors.stream().map(Node::incarnation)
                .toArray(MemberId[]::new));

        h.awaitProgress(survivors, minCount(survivors) + 400, PROGRESS);
        assertPassed(h.quiesceAndCheck(survivors));
    }

    /**
     * Kills two of five members at once under load, the coordinator among them (a five-member
     * view survives two failures at once): the three survivors end in one view of themselves
     * (whether through one view change or two depends on when each suspicion fires).
     */
    @Test
    void killingTwoOfFiveAtOnceUnderLoad() {
        ClusterHarness h = cluster(5);
        ViewLine view = startLoadedGroup(h, 1_000);

        Node coordinator = byName(view.members().get(0).name());
        Node other = byName(view.members().get(3).name());
        List<Node> survivors = except(except(h.nodes(), coordinator), other);
        h.kill9(coordinator);
        h.kill9(other);

        ViewLine next = h.awaitOneView(survivors, ClusterHarness.SETTLE);
        assertThat(next.members()).hasSize(3);
        h.awaitProgress(survivors, minCount(survivors) + 400, PROGRESS);
        assertPassed(h.quiesceAndCheck(survivors));
    }

    /**
     * Members killed under load in turn (rank 1, then the coordinator, then rank 1 again) and
     * restarted on the same port: each new process is a new incarnation that joins and gets the
     * state by transfer.
     */
    @Test
    void membersKilledAndRestartedInTurnRejoinAsNewIncarnations() {
        ClusterHarness h = cluster(3);
        startLoadedGroup(h, 600);

        List<MemberId> crashed = new ArrayList<>();
        List<MemberId> restarted = new ArrayList<>();
        for (int rank : new int[] {1, 0, 1}) {
            Node victim = byName(h.node(0).lastView().members().get(rank).name());
            MemberId before = victim.incarnation();
            List<Node> survivors = except(h.nodes(), victim);
            h.kill9(victim);
            h.awaitOneView(survivors, ClusterHarness.SETTLE);

            h.restart(victim);
            MemberId after = victim.incarnation();
            assertThat(after.name()).isEqualTo(before.name());
            assertThat(after.incarnation()).isGreaterThan(before.incarnation());
            h.join(List.of(victim));
            h.load(List.of(victim), RATE, ALL_ORDERS);
            ViewLine rejoined = h.awaitOneView(h.nodes(), ClusterHarness.SETTLE);
            assertThat(rejoined.members()).contains(after).doesNotContain(before);
            h.awaitProgress(h.nodes(), minCount(h.nodes()) + 200, PROGRESS);
            crashed.add(before);
            restarted.add(after);
        }

        CheckResult result = h.quiesceAndCheck(h.nodes());
        assertPassed(result);
        for (MemberId m : crashed) {
            assertThat(result.history().events()).contains(new HistoryEvent.Crashed(m));
        }
        for (MemberId m : restarted) {
            assertThat(firstState(result, m).stateMessageIds()).as("state transferred to %s", m).isNotEmpty();
        }
    }

    /**
     * The joiner's state transfer: recorded before its first view installation, for that view
     * (its load thread may record requests in between, its listener nothing else).
     */
    private static HistoryEvent.StateTransferred firstState(CheckResult result, MemberId joiner) {
        HistoryEvent.StateTransferred state = null;
        for (HistoryEvent e : result.history().events()) {
            if (!e.member().equals(joiner)) {
                continue;
            }
            if (e instanceof HistoryEvent.StateTransferred st) {
                state = st;
            } else if (e instanceof HistoryEvent.ViewInstalled first) {
                assertThat(state).as("%s recorded a state before its first view\n%s", joiner, result.report())
                        .isNotNull();
                assertThat(state.viewId()).as("view of %s's state", joiner).isEqualTo(first.viewId());
                return state;
            }
        }
        throw new AssertionError(joiner + " never installed a view\n" + result.report());
    }

    // ----------------------------------------------------------------------------------- pauses

    /**
     * Pauses a member with SIGSTOP until the others have excluded it, then continues it: it must
     * learn of its exclusion, come back as its next incarnation and rejoin with a state transfer.
     * Run for the last-ranked member and for the coordinator (the sequencer).
     */
    @ParameterizedTest(name = "rank {0}")
    @ValueSource(ints = {2, 0})
    void aPausedMemberIsExcludedAndRejoinsAsItsNextIncarnation(int rank) {
        ClusterHarness h = cluster(3);
        ViewLine view = startLoadedGroup(h, 600);

        Node victim = byName(view.members().get(rank).name());
        List<Node> survivors = except(h.nodes(), victim);
        MemberId before = victim.incarnation();
        int mark = victim.process().stdout().size();
        h.sigstop(victim);
        // The survivors' view without it is the sign that the suspect timeout has passed.
        h.awaitOneView(survivors, ClusterHarness.SETTLE);
        h.sigcont(victim);

        LineLog.Match excluded = victim.process().await(mark, l -> l.startsWith("EXCLUDED " + before + " "),
                ClusterHarness.SETTLE);
        LineLog.Match incarnation = victim.process().await(excluded.index(), l -> l.startsWith("INCARNATION "),
                ClusterHarness.SETTLE);
        MemberId after = HistoryFormat.parseMember(
                incarnation.line().substring("INCARNATION ".length()));
        assertThat(after.name()).isEqualTo(before.name());
        assertThat(after.incarnation()).isGreaterThan(before.incarnation());

        ViewLine rejoined = h.awaitOneView(h.nodes(), ClusterHarness.SETTLE);
        assertThat(rejoined.members()).contains(after).doesNotContain(before);

        h.awaitProgress(h.nodes(), minCount(h.nodes()) + 300, PROGRESS);
        CheckResult result = h.quiesceAndCheck(h.nodes());
        assertPassed(result);
        assertThat(firstState(result, after).stateMessageIds()).as("state transferred to %s", after).isNotEmpty();
        assertThat(result.history().events()).as("exclusion of %s recorded", before)
                .anySatisfy(e -> assertThat(e).isInstanceOfSatisfying(HistoryEvent.Excluded.class,
                        x -> assertThat(x.member()).isEqualTo(before)));
    }

    // ------------------------------------------------------------------------------------ leave

    /**
     * One of three members leaves cleanly under load: the others install a view without it, and
     * no failure detector suspected anybody (a clean leave must not look like a failure). Run for
     * a member of rank 1 and for the coordinator.
     */
    @ParameterizedTest(name = "rank {0}")
    @ValueSource(ints = {1, 0})
    void aCleanLeaveUnderLoadIsNotAFailure(int rank) {
        ClusterHarness h = cluster(3);
        ViewLine view = startLoadedGroup(h, 600);

        Node leaver = byName(view.members().get(rank).name());
        List<Node> stayers = except(h.nodes(), leaver);
        MemberId leaving = leaver.incarnation();
        int mark = leaver.process().stdout().size();
        leaver.process().send("leave");
        leaver.process().await(mark, l -> l.startsWith("LEFT " + leaving + " "), ClusterHarness.SETTLE);
        leaver.request("stopload", "LOAD STOPPED");
        ViewLine after = h.awaitOneView(stayers, ClusterHarness.SETTLE);
        assertThat(after.members()).doesNotContain(leaving);

        // Keep the group busy well past the suspect timeout, so that a leave mistaken for a
        // failure would have been suspected by now.
        h.awaitProgress(stayers, minCount(stayers) + 600, PROGRESS);
        assertPassed(h.quiesceAndCheck(stayers));
        for (Node n : stayers) {
            assertThat(n.counter("cohort.membership.suspicions")).as("suspicions raised by %s", n).isZero();
            // Nor in the logs: no suspicion, no exclusion, the departure logged without "(suspected".
            String log = readLog(n.process().stderrFile());
            assertThat(log).as("log of %s", n).doesNotContain("suspecting").doesNotContain("(suspected")
                    .doesNotContain("excluded").contains("departed [" + leaving + "]");
        }
    }

    private static String readLog(java.nio.file.Path file) {
        try {
            return java.nio.file.Files.readString(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------------------------ joins

    /**
     * A fourth member joins a group under load: it gets the state at its cut and then every
     * message of its first view (the checker's state-transfer and liveness properties).
     */
    @Test
    void aMemberJoiningUnderLoadGetsTheStateAtItsCut() {
        ClusterHarness h = cluster(3);
        startLoadedGroup(h, 600);
        List<Node> base = h.nodes();

        Node joiner = h.addNode();
        h.join(List.of(joiner));
        h.awaitOneView(h.nodes(), ClusterHarness.SETTLE);
        h.load(List.of(joiner), RATE, ALL_ORDERS);
        h.awaitProgress(h.nodes(), minCount(h.nodes()) + 400, PROGRESS);

        CheckResult result = h.quiesceAndCheck(h.nodes());
        assertPassed(result);
        assertThat(firstState(result, joiner.incarnation()).stateMessageIds()).as("state transferred to the joiner")
                .isNotEmpty();
    }

    /** Three members ask to join a running three-member group at the same moment: all six end in one view. */
    @Test
    void aBurstOfThreeJoinsConverges() {
        ClusterHarness h = cluster(3);
        startGroup(h);
        List<Node> base = h.nodes();
        h.load(base, RATE / 2, ALL_ORDERS);
        h.awaitProgress(base, 300, PROGRESS);

        List<Node> joiners = List.of(h.addNode(), h.addNode(), h.addNode());
        h.join(joiners);
        ViewLine view = h.awaitOneView(h.nodes(), ClusterHarness.SETTLE);
        assertThat(view.members()).hasSize(6);

        h.awaitProgress(h.nodes(), minCount(h.nodes()) + 150, PROGRESS);
        CheckResult result = h.quiesceAndCheck(h.nodes());
        assertPassed(result);
        for (Node n : joiners) {
            assertThat(firstState(result, n.incarnation()).stateMessageIds()).as("state transferred to %s", n)
                    .isNotEmpty();
        }
    }
}
