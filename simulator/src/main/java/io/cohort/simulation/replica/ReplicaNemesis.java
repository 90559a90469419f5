package io.cohort.simulation.replica;

import io.cohort.api.MemberId;
import io.cohort.api.View;
import io.cohort.protocol.GroupMember;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Predicate;

/**
 * Injects the faults a {@link FaultPlan} allows: crashes (restarted later as a new incarnation),
 * partitions (some isolating a single replica, some one-way; healed after a while), clean leaves
 * (rejoining later) and joins (new members, or restarts once every name is used). It never takes
 * away the group's majority or its last copy of the state: those are total failures, which only
 * recovery from disk repairs. Every enabled kind is injected at least once per run where possible.
 */
final class ReplicaNemesis {

    private enum Kind { CRASH, PARTITION, LEAVE, JOIN }

    private final ReplicaSimulation sim;
    private final SplittableRandom random;
    private final FaultPlan plan;
    private final List<Kind> owed = new ArrayList<>();
    /** Hosts on the minority side of the partition in force: they count for no majority. */
    private final Set<String> cutOff = new HashSet<>();
    /**
     * Crashed incarnations that were joining: a view being agreed on may still list them, so they
     * count as dead members until a view two steps newer than their crash leaves them out.
     */
    private final Map<MemberId, Long> limbo = new HashMap<>();
    int crashes;
    int restarts;
    int partitions;
    int isolations;
    int leaves;
    int joins;

    ReplicaNemesis(ReplicaSimulation sim, SplittableRandom random, FaultPlan plan) {
        this.sim = sim;
        this.random = random;
        this.plan = plan;
        for (Kind k : Kind.values()) {
            if (enabled(k)) {
                owed.add(k);
            }
        }
    }

    private boolean enabled(Kind k) {
        return switch (k) {
            case CRASH -> plan.crashes();
            case PARTITION -> plan.partitions();
            case LEAVE -> plan.leaves();
            case JOIN -> plan.joins();
        };
    }

    /** @return whether some enabled kind of fault has not happened yet */
    boolean owesFaults() {
        return !owed.isEmpty();
    }

    void start() {
        if (plan.anyFault()) {
            schedule(sim.scenario().faultIntervalMillis() / 2);
        }
    }

    private void schedule(long delay) {
        sim.events().after(delay, () -> {
            if (!sim.faultsOn()) {
                return;
            }
            inject();
            long interval = owed.isEmpty() ? sim.scenario().faultIntervalMillis() : sim.scenario().faultIntervalMillis() / 4;
            schedule(interval / 2 + random.nextLong(interval + 1));
        });
    }

    private void inject() {
        Kind kind;
        if (!owed.isEmpty()) {
            kind = owed.remove(random.nextInt(owed.size()));
        } else {
            List<Kind> enabled = new ArrayList<>();
            for (Kind k : Kind.values()) {
                if (enabled(k)) {
                    enabled.add(k);
                }
            }
            if (random.nextInt(5) == 0) {
                return; // a quiet interval
            }
            kind = enabled.get(random.nextInt(enabled.size()));
        }
        boolean done = switch (kind) {
            case CRASH -> crashSomeone();
            case PARTITION -> partition();
            case LEAVE -> leaveSomeone();
            case JOIN -> join();
        };
        if (!done && !owed.contains(kind)) {
            owed.add(kind); // not possible now (it would cost the majority, or a partition is on): owe it
        }
    }

    /** A crashed, excluded or departed host comes back as a new incarnation a little later. */
    void scheduleRestart(ReplicaNode node) {
        sim.events().after(200 + random.nextInt(1300), () -> {
            if (!node.up() || node.terminal()) {
                restarts++;
                sim.record(new ReplicaEvent.Fault("restart", node.name() + " restarts as incarnation "
                        + (node.id().incarnation() + 1)));
                node.startAndJoin();
            }
        });
    }

    private boolean crashSomeone() {
        ReplicaNode victim = randomNode(this::majorityStaysAlive);
        if (victim == null) {
            return false;
        }
        crashes++;
        sim.record(new ReplicaEvent.Fault("crash", victim.id() + " crashes"));
        crash(victim);
        scheduleRestart(victim);
        return true;
    }

    private boolean partition() {
        if (sim.network().partitioned()) {
            return false;
        }
        List<String> names = new ArrayList<>();
        for (ReplicaNode n : sim.nodes()) {
            names.add(n.name());
        }
        Set<String> side = new LinkedHashSet<>();
        boolean isolate = random.nextInt(100) < plan.isolationPercent();
        int size = isolate ? 1 : 1 + random.nextInt(Math.max(1, names.size() - 1));
        while (side.size() < size) {
            side.add(names.get(random.nextInt(names.size())));
        }
        boolean oneWay = !isolate && random.nextInt(4) == 0;
        for (String a : side) {
            for (String b : names) {
                if (!side.contains(b)) {
                    sim.network().block(a, b);
                    if (!oneWay) {
                        sim.network().block(b, a);
                    }
                }
            }
        }
        partitions++;
        isolations += isolate ? 1 : 0;
        if (side.size() * 2 <= names.size()) {
            cutOff.addAll(side);
        } else {
            names.stream().filter(n -> !side.contains(n)).forEach(cutOff::add);
        }
        long healAfter = 300 + random.nextInt(1700);
        sim.record(new ReplicaEvent.Fault(isolate ? "isolation" : "partition", (oneWay ? "one-way " : "") + side
                + " cut off from the rest for " + healAfter + " ms"));
        sim.events().after(healAfter, () -> {
            sim.record(new ReplicaEvent.Fault("heal", "the network heals"));
            sim.network().healAll();
            cutOff.clear();
        });
        return true;
    }

    private boolean leaveSomeone() {
        // A leaver takes part in its own view change: the group needs its majority with the leaver
        // counted, and another live holder of the state.
        ReplicaNode n = randomNode(c -> c.group().status() == GroupMember.Status.MEMBER && c.group().hasState()
                && majorityStaysAlive(null) && anotherStateHolder(c));
        if (n == null) {
            return false;
        }
        leaves++;
        sim.record(new ReplicaEvent.Fault("leave", n.id() + " leaves"));
        n.leave();
        return true;
    }

    /** A new host joins; once every name is used, a live host restarts and rejoins instead. */
    private boolean join() {
        if (sim.nodes().size() < sim.scenario().maxMembers()) {
            joins++;
            ReplicaNode node = sim.addNode();
            sim.record(new ReplicaEvent.Fault("join", node.name() + " starts and joins"));
            node.startAndJoin();
            return true;
        }
        ReplicaNode n = randomNode(this::majorityStaysAlive);
        if (n == null) {
            return false;
        }
        joins++;
        restarts++;
        sim.record(new ReplicaEvent.Fault("join", n.id() + " crashes and rejoins at once"));
        crash(n);
        n.startAndJoin();
        return true;
    }

    /** The newest view any live host installed: the group's view, as far as an observer can tell. */
    View groupView() {
        View best = null;
        for (ReplicaNode n : sim.nodes()) {
            if (n.up() && n.group() != null && n.group().view() != null
                    && (best == null || n.group().view().viewId() > best.viewId())) {
                best = n.group().view();
            }
        }
        return best;
    }

    private void crash(ReplicaNode victim) {
        View g = groupView();
        if (victim.group().status() == GroupMember.Status.JOINING || !victim.group().hasState()) {
            limbo.put(victim.id(), g == null ? 0 : g.viewId());
        }
        sim.crash(victim);
    }

    /** The network healed at the end of the fault phase: nobody is cut off any more. */
    void healed() {
        cutOff.clear();
    }

    /**
     * Losing {@code victim} leaves a majority alive and reachable, one of them holding the state
     * (state lives in memory only; losing every copy is a total failure): a majority of the
     * group's view, and a majority of the view that may come next, which can also hold the members
     * joining now and crashed joiners it was agreed on with. The nemesis cannot see a view being
     * agreed on; this errs on the side of keeping the group alive.
     */
    boolean majorityStaysAlive(ReplicaNode victim) {
        View g = groupView();
        if (g == null) {
            return false;
        }
        limbo.entrySet().removeIf(e -> g.viewId() >= e.getValue() + 2 && !g.contains(e.getKey()));
        Set<MemberId> next = new LinkedHashSet<>(g.members());
        next.addAll(limbo.keySet());
        for (ReplicaNode n : sim.nodes()) {
            if (n.up() && !n.terminal() && !n.group().hasState()) {
                next.add(n.id());
            }
        }
        int aliveNow = 0;
        int aliveNext = 0;
        boolean stateSurvives = false;
        for (MemberId m : next) {
            ReplicaNode n = sim.node(m.name());
            if (n != victim && n.up() && m.equals(n.id()) && !n.terminal() && !cutOff.contains(n.name())) {
                aliveNext++;
                if (g.contains(m)) {
                    aliveNow++;
                    stateSurvives |= n.group().hasState();
                }
            }
        }
        return aliveNow >= g.majority() && aliveNext > next.size() / 2 && stateSurvives;
    }

    private boolean anotherStateHolder(ReplicaNode leaver) {
        for (ReplicaNode n : sim.nodes()) {
            if (n != leaver && n.up() && !n.terminal() && n.group().hasState()) {
                return true;
            }
        }
        return false;
    }

    private ReplicaNode randomNode(Predicate<ReplicaNode> eligible) {
        List<ReplicaNode> candidates = new ArrayList<>();
        for (ReplicaNode n : sim.nodes()) {
            if (n.up() && !n.terminal() && eligible.test(n)) {
                candidates.add(n);
            }
        }
        return candidates.isEmpty() ? null : candidates.get(random.nextInt(candidates.size()));
    }
}
