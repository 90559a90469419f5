package io.cohort.simulation.replica;

import io.cohort.api.MemberId;
import io.cohort.api.View;
import io.cohort.protocol.ProtocolConfig;
import io.cohort.replication.ReadConsistency;
import io.cohort.replication.core.ReplicaSettings;
import io.cohort.simulation.EventQueue;
import io.cohort.simulation.HostRouter;
import io.cohort.simulation.SimNetwork;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.StringJoiner;

/**
 * One deterministic simulated run of a replicated state machine: a {@link ReplicaNode} per member
 * on a faulty {@link SimNetwork}, {@link SimClient}s issuing the user's commands and queries with
 * failover, and a {@link ReplicaNemesis}. After the fault phase the network heals, clients finish
 * what they started, the group settles, and the recorded {@link ReplicaHistory} is judged by the
 * {@link ReplicaChecker}.
 *
 * <p>Everything random comes from one {@link SplittableRandom} seeded from the scenario's seed, and
 * time is simulated, so a seed replays exactly (given deterministic user code).
 */
public final class ReplicaSimulation {

    private static final int MAX_PHASE_EXTENSIONS = 4;
    private static final long PHASE_EXTENSION_MILLIS = 500;
    /** The group is judged settled at this granularity of simulated time. */
    private static final long SETTLE_SLICE_MILLIS = 100;
    /**
     * Deliveries that change no applied index (a command taken over by a second handler, a
     * retried request) still change the session table: the end state is compared only once no
     * replica has delivered anything for this long.
     */
    private static final long QUIET_MILLIS = 500;
    private static final int STACK_FRAMES_SHOWN = 6;

    /**
     * The outcome of a run.
     *
     * @param scenario   what ran
     * @param history    what happened
     * @param violations what the checks found
     * @param stats      what happened, counted
     */
    public record Result(ReplicaScenario scenario, ReplicaHistory history, List<ReplicaViolation> violations,
                         RunStats stats) {

        /** @return whether every check passed */
        public boolean passed() {
            return violations.isEmpty();
        }

        /** @return one line: the scenario, the verdict, the counts and the history digest */
        public String summary() {
            return scenario + " -> " + (passed() ? "OK" : violations.size() + " violation(s)") + " " + stats
                    + (history.livenessOwed() ? "" : " liveness-not-owed") + " digest=" + history.digest();
        }
    }

    private final ReplicaScenario scenario;
    private final ReplicaWorkload workload;
    private final SplittableRandom random;
    private final EventQueue events = new EventQueue();
    private final SimNetwork network;
    private final HostRouter<ReplicaNode> router;
    private final ReplicaHistory history = new ReplicaHistory();
    private final Map<String, ReplicaNode> nodes = new LinkedHashMap<>();
    private final List<ReplicaNode> nodeList = new ArrayList<>();
    private final List<SimClient> clients = new ArrayList<>();
    private final ReplicaNemesis nemesis;
    private final ProtocolConfig config;
    private final ReplicaSettings settings;
    private boolean faultPhase = true;
    private int phaseExtensions;
    private long acknowledged;
    private long linearizableReads;
    private long staleReads;
    private int divergences;
    private int rejoins;
    private long lastDeliveryMillis;

    /**
     * @param scenario what to run
     * @param workload the user's state machine, requests and invariants
     */
    public ReplicaSimulation(ReplicaScenario scenario, ReplicaWorkload workload) {
        this.scenario = scenario;
        this.workload = workload;
        this.random = new SplittableRandom(scenario.seed() ^ 0x7E57C0DE5EEDL);
        this.network = new SimNetwork(events, random, scenario.lossRate(), scenario.duplicateRate(), scenario.slowRate());
        this.router = new HostRouter<>(network, nodes::get, () -> nodeList);
        this.nemesis = new ReplicaNemesis(this, random.split(), scenario.config().faults());
        this.config = ProtocolConfig.defaults().withVariant(scenario.config().variant());
        this.settings = ReplicaSettings.defaults().withHashInterval(scenario.hashInterval());
    }

    /**
     * Runs the scenario and checks its history. Exceptions from user code end the run and are
     * reported as a {@link ReplicaProperty#RUN_ERROR}.
     *
     * @return the result
     */
    public Result run() {
        try {
            runPhases();
        } catch (RuntimeException | AssertionError | StackOverflowError e) {
            history.record(events.now(), new ReplicaEvent.RunError(describe(e)));
            history.end(false, false);
        }
        List<ReplicaViolation> violations = new ReplicaChecker().check(history);
        return new Result(scenario, history, violations, stats());
    }

    private void runPhases() {
        List<MemberId> initial = new ArrayList<>();
        for (int i = 0; i < scenario.initialReplicas(); i++) {
            initial.add(MemberId.of(addNode().name(), 1));
        }
        View first = new View(1, initial);
        for (ReplicaNode node : nodeList) {
            node.bootstrap(first);
        }
        for (int i = 0; i < scenario.config().clients(); i++) {
            SimClient client = new SimClient(i, random.nextLong(), this, random.split());
            clients.add(client);
            client.start();
        }
        nemesis.start();
        events.at(scenario.faultPhaseMillis(), this::endFaultPhase);
        events.runUntil(scenario.faultPhaseMillis());
        while (faultPhase) {
            events.runUntil(events.now() + PHASE_EXTENSION_MILLIS);
        }
        long deadline = events.now() + scenario.config().settleMillis();
        boolean settled = settled();
        while (!settled && events.now() < deadline) {
            events.runUntil(events.now() + SETTLE_SLICE_MILLIS);
            settled = settled();
        }
        finish(settled);
    }

    private void endFaultPhase() {
        if (nemesis.owesFaults() && phaseExtensions < MAX_PHASE_EXTENSIONS) {
            // Every run is meant to see every enabled kind of fault: give the owed ones a little longer.
            phaseExtensions++;
            events.after(PHASE_EXTENSION_MILLIS, this::endFaultPhase);
            return;
        }
        faultPhase = false;
        network.healAll();
        nemesis.healed();
        record(new ReplicaEvent.Fault("heal", "fault phase over: the network heals, clients finish what they started"));
    }

    /**
     * Every client is done, every replica is back, serving, in one view of all, at one applied
     * index, with nothing left to send, and nothing has been delivered anywhere for a while.
     */
    private boolean settled() {
        if (events.now() - lastDeliveryMillis < QUIET_MILLIS) {
            return false;
        }
        for (SimClient c : clients) {
            if (c.busy()) {
                return false;
            }
        }
        View view = null;
        long index = -1;
        for (ReplicaNode n : nodeList) {
            if (!n.serving() || n.group().isWedged() || n.group().pendingMulticasts() > 0) {
                return false;
            }
            View v = n.group().view();
            long i = n.replica().state().appliedIndex();
            if (view != null && (v.viewId() != view.viewId() || i != index)) {
                return false;
            }
            view = v;
            index = i;
        }
        return view != null && view.size() == nodeList.size();
    }

    private void finish(boolean settled) {
        for (ReplicaNode n : nodeList) {
            if (n.serving()) {
                record(new ReplicaEvent.FinalState(n.id(), n.group().view().viewId(),
                        n.replica().state().appliedIndex(), n.replica().state().hash()));
                n.checkInvariantsAtEnd();
            }
        }
        if (!settled) {
            record(new ReplicaEvent.NotSettled(describeNodes()));
        }
        for (SimClient c : clients) {
            c.recordOutstanding();
        }
        history.end(nemesis.majorityStaysAlive(null), settled);
    }

    private String describeNodes() {
        StringJoiner j = new StringJoiner("; ");
        for (ReplicaNode n : nodeList) {
            if (!n.up()) {
                j.add(n.name() + " down");
            } else {
                j.add(n.id() + " " + n.group().status() + (n.group().view() == null ? "" : " view "
                        + n.group().view().viewId()) + (n.group().isWedged() ? " wedged" : "")
                        + (n.group().hasState() ? " index " + n.replica().state().appliedIndex() : " without state"));
            }
        }
        return j.toString();
    }

    private RunStats stats() {
        long highestView = 0;
        long finalIndex = 0;
        for (ReplicaNode n : nodeList) {
            if (n.group() != null && n.group().view() != null) {
                highestView = Math.max(highestView, n.group().view().viewId());
            }
            if (n.replica() != null) {
                finalIndex = Math.max(finalIndex, n.replica().state().appliedIndex());
            }
        }
        return new RunStats(acknowledged, linearizableReads, staleReads, nemesis.crashes, nemesis.restarts,
                nemesis.partitions, nemesis.isolations, nemesis.leaves, nemesis.joins, divergences, rejoins,
                highestView, finalIndex, events.executed(), network.framesSent(), network.framesLost(), events.now());
    }

    private static String describe(Throwable e) {
        StringBuilder b = new StringBuilder(e.toString());
        StackTraceElement[] trace = e.getStackTrace();
        for (int i = 0; i < Math.min(STACK_FRAMES_SHOWN, trace.length); i++) {
            b.append(" at ").append(trace[i]);
        }
        if (e.getCause() != null) {
            b.append(" caused by ").append(e.getCause());
        }
        return b.toString();
    }

    // ------------------------------------------------------------------ for nodes, clients and the nemesis

    ReplicaScenario scenario() {
        return scenario;
    }

    ReplicaWorkload workload() {
        return workload;
    }

    EventQueue events() {
        return events;
    }

    SimNetwork network() {
        return network;
    }

    void record(ReplicaEvent event) {
        history.record(events.now(), event);
    }

    boolean trafficOn() {
        return faultPhase;
    }

    boolean faultsOn() {
        return faultPhase;
    }

    List<ReplicaNode> nodes() {
        return Collections.unmodifiableList(nodeList);
    }

    ReplicaNode node(String name) {
        return nodes.get(name);
    }

    ReplicaNode addNode() {
        String name = String.valueOf((char) ('a' + nodeList.size()));
        ReplicaNode node = new ReplicaNode(name, this, config, settings, random.nextInt(50));
        nodes.put(name, node);
        nodeList.add(node);
        return node;
    }

    void crash(ReplicaNode node) {
        node.crash();
        for (SimClient c : clients) {
            c.connectionLost(node.name());
        }
    }

    void scheduleRestart(ReplicaNode node) {
        nemesis.scheduleRestart(node);
    }

    void sendFrame(ReplicaNode from, MemberId to, byte[] frame) {
        router.sendFrame(from, to, frame);
    }

    void sendToSeeds(ReplicaNode from, byte[] frame) {
        router.sendToSeeds(from, frame);
    }

    void sendHeartbeat(ReplicaNode from, MemberId to) {
        router.sendHeartbeat(from, to);
    }

    void delivered() {
        lastDeliveryMillis = events.now();
    }

    void acknowledged() {
        acknowledged++;
    }

    void readAnswered(ReadConsistency consistency) {
        if (consistency == ReadConsistency.LINEARIZABLE) {
            linearizableReads++;
        } else {
            staleReads++;
        }
    }

    void diverged() {
        divergences++;
    }

    void rejoined() {
        rejoins++;
    }
}
