package io.cohort.simulation;

import io.cohort.api.DeliveryOrder;
import io.cohort.api.MemberId;
import io.cohort.api.View;
import io.cohort.protocol.GroupMember;
import io.cohort.protocol.ProtocolConfig;
import io.cohort.simulation.check.HistoryChecker;
import io.cohort.simulation.check.Violation;
import io.cohort.simulation.history.History;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * One deterministic simulated run: a group of {@link SimNode}s on a {@link SimNetwork}, an
 * application multicasting in all four orders, and a nemesis that crashes and restarts members,
 * partitions and heals the network, makes members leave and new ones join. After the fault phase
 * the network heals, the group settles, and the recorded history is checked against every
 * property of DESIGN.md section 2.
 *
 * <p>Everything random comes from one {@link SplittableRandom} seeded with the scenario's seed, and
 * simulated time comes from an {@link EventQueue}, so a seed replays exactly.
 */
public final class Simulation {

    private static final DeliveryOrder[] ORDERS = DeliveryOrder.values();

    private final Scenario scenario;
    private final SplittableRandom random;
    private final EventQueue events = new EventQueue();
    private final SimNetwork network;
    private final HostRouter<SimNode> router;
    private final History history = new History();
    private final Map<String, SimNode> nodes = new LinkedHashMap<>();
    private final ProtocolConfig config;
    private static final int MAX_PHASE_EXTENSIONS = 4;
    private static final long PHASE_EXTENSION_MILLIS = 500;
    private boolean faultPhase = true;
    private int phaseExtensions;
    private long settleEnd;
    private int multicasts;
    private int crashes;
    private int restarts;
    private int partitions;
    private int leaves;
    private int joins;
    /** Fault kinds still owed before faults are drawn at random: every run sees each kind. */
    private final List<Integer> uncoveredKinds = new ArrayList<>(List.of(0, 1, 2, 3));

    /**
     * @param scenario what to run
     */
    public Simulation(Scenario scenario) {
        this.scenario = scenario;
        this.random = new SplittableRandom(scenario.seed() ^ 0x5DEECE66DL);
        this.network = new SimNetwork(events, random, scenario);
        this.router = new HostRouter<>(network, nodes::get, nodes::values);
        this.config = ProtocolConfig.defaults().withVariant(scenario.variant());
    }

    /** Faults the nemesis injected in a run, by kind. */
    public record FaultCounts(int crashes, int restarts, int partitions, int leaves, int joins) {

        /** @return whether every kind of fault happened at least once */
        public boolean everyKind() {
            return crashes > 0 && restarts > 0 && partitions > 0 && leaves > 0 && joins > 0;
        }
    }

    /** The outcome of a run. */
    public record Result(Scenario scenario, History history, List<Violation> violations, long eventsExecuted,
                         long framesSent, long framesLost, FaultCounts faults) {

        /** @return whether every property held */
        public boolean passed() {
            return violations.isEmpty();
        }

        /** @return a one-line summary */
        public String summary() {
            return scenario + " -> " + (passed() ? "OK" : violations.size() + " violation(s)") + " events="
                    + eventsExecuted + " frames=" + framesSent + " lost=" + framesLost + " history="
                    + history.events().size() + " " + faults + (history.livenessExpected() ? "" : " liveness-not-owed")
                    + " digest=" + history.digest();
        }
    }

    /**
     * Runs the scenario and checks its history.
     *
     * @return the result
     */
    public Result run() {
        List<MemberId> initial = new ArrayList<>();
        for (int i = 0; i < scenario.initialMembers(); i++) {
            SimNode node = new SimNode(nodeName(i), this, config, history);
            nodes.put(node.name(), node);
            initial.add(MemberId.of(node.name(), 1));
        }
        View first = new View(1, initial);
        for (SimNode node : nodes.values()) {
            node.bootstrap(first);
        }
        scheduleNextSend(0);
        scheduleNextFault(0);
        events.at(scenario.faultPhaseMillis(), this::endFaultPhase);
        events.runUntil(scenario.faultPhaseMillis());
        while (faultPhase) {
            events.runUntil(events.now() + PHASE_EXTENSION_MILLIS);
        }
        events.runUntil(settleEnd);

        Set<MemberId> live = new LinkedHashSet<>();
        for (SimNode node : nodes.values()) {
            if (node.up() && !node.terminal()) {
                live.add(node.id());
            }
        }
        history.end(live, finalViewKeepsMajority());
        List<Violation> violations = new HistoryChecker().check(history);
        return new Result(scenario, history, violations, events.executed(), network.framesSent, network.framesLost,
                new FaultCounts(crashes, restarts, partitions, leaves, joins));
    }

    private static String nodeName(int i) {
        return String.valueOf((char) ('a' + i));
    }

    EventQueue events() {
        return events;
    }

    // ------------------------------------------------------------------ network plumbing

    void sendFrame(SimNode from, MemberId to, byte[] frame) {
        router.sendFrame(from, to, frame);
    }

    void sendToSeeds(SimNode from, byte[] frame) {
        router.sendToSeeds(from, frame);
    }

    void sendHeartbeat(SimNode from, MemberId to) {
        router.sendHeartbeat(from, to);
    }

    /** A crashed, excluded or departed host comes back as a new incarnation a little later. */
    void scheduleRestart(SimNode node) {
        events.after(200 + random.nextInt(1300), () -> {
            if (!node.up() || node.terminal()) {
                restarts++;
                node.startAndJoin();
            }
        });
    }

    // ------------------------------------------------------------------ workload

    private void scheduleNextSend(long at) {
        events.at(at, () -> {
            if (!faultPhase) {
                return;
            }
            List<SimNode> candidates = new ArrayList<>();
            for (SimNode n : nodes.values()) {
                if (n.up() && n.core().status() == GroupMember.Status.MEMBER) {
                    candidates.add(n);
                }
            }
            if (!candidates.isEmpty()) {
                // The first multicasts go through every order in turn, so that every run mixes all four.
                DeliveryOrder order = multicasts < 2 * ORDERS.length ? ORDERS[multicasts % ORDERS.length]
                        : ORDERS[random.nextInt(ORDERS.length)];
                multicasts++;
                candidates.get(random.nextInt(candidates.size())).multicast(order);
            }
            scheduleNextSend(events.now() + 1 + random.nextLong(2 * scenario.sendIntervalMillis()));
        });
    }

    // ------------------------------------------------------------------ nemesis

    private void scheduleNextFault(long at) {
        events.at(at, () -> {
            if (!faultPhase) {
                return;
            }
            injectFault();
            // A fault kind still owed (the group could not take it a moment ago) is tried again soon.
            long interval = uncoveredKinds.isEmpty() ? scenario.faultIntervalMillis() : scenario.faultIntervalMillis() / 4;
            scheduleNextFault(events.now() + interval / 2 + random.nextLong(interval));
        });
    }

    private void injectFault() {
        int kind;
        if (!uncoveredKinds.isEmpty()) {
            kind = uncoveredKinds.remove(random.nextInt(uncoveredKinds.size()));
        } else {
            int dice = random.nextInt(100);
            kind = dice < 30 ? 0 : dice < 55 ? 1 : dice < 70 ? 2 : dice < 82 ? 3 : -1;
        }
        boolean done = switch (kind) {
            case 0 -> crashSomeone();
            case 1 -> partition();
            case 2 -> leaveSomeone();
            case 3 -> addNewMember();
            default -> true; // a quiet interval
        };
        if (!done && kind >= 0) {
            // Not possible right now (it would cost the majority, or a partition is on): owe it.
            uncoveredKinds.add(kind);
        }
    }

    /** The newest view any live host has installed: the group's view, as far as an observer can tell. */
    private View groupView() {
        View best = null;
        for (SimNode n : nodes.values()) {
            if (n.up() && n.core() != null && n.core().view() != null
                    && (best == null || n.core().view().viewId() > best.viewId())) {
                best = n.core().view();
            }
        }
        return best;
    }

    /**
     * Losing {@code victim} leaves a majority of the group's view alive, and at least one live
     * member of it holding the application state (state lives in memory only; losing every copy
     * is a total failure, which only recovery from disk can repair).
     */
    private boolean majorityStaysAlive(SimNode victim) {
        View g = groupView();
        if (g == null) {
            return false;
        }
        int alive = 0;
        boolean stateSurvives = false;
        for (MemberId m : g.members()) {
            SimNode n = nodes.get(m.name());
            if (n != victim && n.up() && m.equals(n.id()) && !n.terminal()) {
                alive++;
                stateSurvives |= n.core().hasState();
            }
        }
        return alive >= g.majority() && stateSurvives;
    }

    /** A random live host for which {@code eligible} holds, or null. */
    private boolean anotherStateHolder(SimNode leaver) {
        for (SimNode n : nodes.values()) {
            if (n != leaver && n.up() && !n.terminal() && n.core().hasState()) {
                return true;
            }
        }
        return false;
    }

    private SimNode randomNode(java.util.function.Predicate<SimNode> eligible) {
        List<SimNode> candidates = new ArrayList<>();
        for (SimNode n : nodes.values()) {
            if (n.up() && !n.terminal() && eligible.test(n)) {
                candidates.add(n);
            }
        }
        return candidates.isEmpty() ? null : candidates.get(random.nextInt(candidates.size()));
    }

    private boolean crashSomeone() {
        SimNode victim = randomNode(this::majorityStaysAlive);
        if (victim == null) {
            return false;
        }
        crashes++;
        victim.crash();
        scheduleRestart(victim);
        return true;
    }

    private boolean partition() {
        if (network.partitioned()) {
            return false;
        }
        partitions++;
        List<String> names = new ArrayList<>(nodes.keySet());
        Set<String> sideA = new LinkedHashSet<>();
        int size = 1 + random.nextInt(Math.max(1, names.size() - 1));
        while (sideA.size() < size) {
            sideA.add(names.get(random.nextInt(names.size())));
        }
        boolean oneWay = random.nextInt(4) == 0;
        for (String a : sideA) {
            for (String b : names) {
                if (!sideA.contains(b)) {
                    network.block(a, b);
                    if (!oneWay) {
                        network.block(b, a);
                    }
                }
            }
        }
        events.after(300 + random.nextInt(1700), network::healAll);
        return true;
    }

    private boolean leaveSomeone() {
        // A leaver takes part in its own view change, so the group needs its majority with the
        // leaver counted, and another live holder of the state.
        SimNode n = randomNode(c -> c.core().status() == GroupMember.Status.MEMBER && c.core().hasState()
                && majorityStaysAlive(null) && anotherStateHolder(c));
        if (n != null) {
            leaves++;
            n.leave();
            return true;
        }
        return false;
    }

    /** A new host joins; once the name budget is spent, a live host restarts and rejoins instead. */
    private boolean addNewMember() {
        if (nodes.size() < scenario.maxMembers()) {
            SimNode node = new SimNode(nodeName(nodes.size()), this, config, history);
            nodes.put(node.name(), node);
            joins++;
            node.startAndJoin();
            return true;
        }
        SimNode n = randomNode(this::majorityStaysAlive);
        if (n == null) {
            return false;
        }
        joins++;
        n.crash();
        restarts++;
        n.startAndJoin();
        return true;
    }

    private void endFaultPhase() {
        if (!uncoveredKinds.isEmpty() && phaseExtensions < MAX_PHASE_EXTENSIONS) {
            // Every run is meant to see every kind of fault: give the owed ones a little longer.
            phaseExtensions++;
            events.after(PHASE_EXTENSION_MILLIS, this::endFaultPhase);
            return;
        }
        faultPhase = false;
        network.healAll();
        settleEnd = events.now() + scenario.settleMillis();
    }

    /**
     * Liveness is owed only while a majority of the group's latest view is alive, one of them with
     * the state: a view that has lost its majority can never be replaced (primary partition), and
     * a group that lost every copy of its state cannot admit anyone; either stays wedged until
     * recovery from disk. The nemesis avoids such crashes, but it cannot see a view that was
     * chosen and not yet installed, so the run's end says whether liveness still applies.
     */
    private boolean finalViewKeepsMajority() {
        View g = groupView();
        return g != null && majorityStaysAlive(null);
    }

    /** @return whether liveness was owed at the end of the run (false when the group lost its majority) */
    boolean livenessOwed() {
        return history.livenessExpected();
    }
}
