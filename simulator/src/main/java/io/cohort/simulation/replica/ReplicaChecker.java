package io.cohort.simulation.replica;

import io.cohort.api.MemberId;
import io.cohort.replication.ReadConsistency;
import io.cohort.simulation.replica.ReplicaLogs.Command;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Judges a {@link ReplicaHistory} against every {@link ReplicaProperty}. Each property has its own
 * method, so that tests can prove each one fires on a history made to break it. A broken run can
 * break a property thousands of times, so at most {@link #MAX_PER_PROPERTY} violations are listed
 * per property, then one saying how many more there were.
 *
 * <p>Holds no state between calls; may be shared between threads.
 */
public final class ReplicaChecker {

    /** Violations listed per property before the rest are only counted. */
    public static final int MAX_PER_PROPERTY = 10;

    /** Creates a checker. */
    public ReplicaChecker() {
    }

    /**
     * Checks every property (liveness and the end-state checks only where the history says they apply).
     *
     * @param history a run's history
     * @return the violations, grouped by property
     */
    public List<ReplicaViolation> check(ReplicaHistory history) {
        ReplicaLogs logs = ReplicaLogs.of(history);
        Violations out = new Violations();
        runErrors(history, out);
        agreement(history, logs, out);
        exactlyOnce(history, logs, out);
        durability(history, logs, out);
        readFreshness(history, logs, out);
        liveness(history, out);
        invariants(history, out);
        return out.list();
    }

    /**
     * @param history a run's history
     * @return violations of {@link ReplicaProperty#AGREEMENT}
     */
    public List<ReplicaViolation> agreement(ReplicaHistory history) {
        Violations out = new Violations();
        agreement(history, ReplicaLogs.of(history), out);
        return out.list();
    }

    /**
     * @param history a run's history
     * @return violations of {@link ReplicaProperty#EXACTLY_ONCE}
     */
    public List<ReplicaViolation> exactlyOnce(ReplicaHistory history) {
        Violations out = new Violations();
        exactlyOnce(history, ReplicaLogs.of(history), out);
        return out.list();
    }

    /**
     * @param history a run's history
     * @return violations of {@link ReplicaProperty#DURABILITY}
     */
    public List<ReplicaViolation> durability(ReplicaHistory history) {
        Violations out = new Violations();
        durability(history, ReplicaLogs.of(history), out);
        return out.list();
    }

    /**
     * @param history a run's history
     * @return violations of {@link ReplicaProperty#READ_FRESHNESS}
     */
    public List<ReplicaViolation> readFreshness(ReplicaHistory history) {
        Violations out = new Violations();
        readFreshness(history, ReplicaLogs.of(history), out);
        return out.list();
    }

    /**
     * @param history a run's history
     * @return violations of {@link ReplicaProperty#LIVENESS}
     */
    public List<ReplicaViolation> liveness(ReplicaHistory history) {
        Violations out = new Violations();
        liveness(history, out);
        return out.list();
    }

    /**
     * @param history a run's history
     * @return violations of {@link ReplicaProperty#INVARIANT}
     */
    public List<ReplicaViolation> invariants(ReplicaHistory history) {
        Violations out = new Violations();
        invariants(history, out);
        return out.list();
    }

    // ------------------------------------------------------------------ the checks

    private static void runErrors(ReplicaHistory history, Violations out) {
        for (ReplicaEvent e : history.events()) {
            if (e instanceof ReplicaEvent.RunError r) {
                out.add(ReplicaProperty.RUN_ERROR, r.detail());
            }
        }
    }

    /** Same command at every index, same hash at every hashed index and at the end, no divergence found by the core. */
    private static void agreement(ReplicaHistory history, ReplicaLogs logs, Violations out) {
        for (String a : logs.anomalies()) {
            out.add(ReplicaProperty.AGREEMENT, a);
        }
        Map<Long, MemberId> firstAt = new HashMap<>();
        Map<Long, Command> commandAt = new HashMap<>();
        for (MemberId r : logs.replicas()) {
            for (Map.Entry<Long, Command> e : logs.lineage(r).entrySet()) {
                long i = e.getKey();
                if (logs.ownRecord(r, i) && !logs.counts(r, i)) {
                    continue;
                }
                Command before = commandAt.putIfAbsent(i, e.getValue());
                firstAt.putIfAbsent(i, r);
                if (before != null && !before.equals(e.getValue())) {
                    out.add(ReplicaProperty.AGREEMENT, "at applied index " + i + ", " + firstAt.get(i) + " has "
                            + before + " but " + r + " has " + e.getValue()
                            + (logs.ownRecord(r, i) ? "" : " (in the state it restored from a snapshot)"));
                }
            }
        }
        Map<Long, MemberId> hashedFirst = new HashMap<>();
        Map<Long, Long> hashAt = new HashMap<>();
        for (MemberId r : logs.replicas()) {
            for (Map.Entry<Long, Long> e : logs.hashes(r).entrySet()) {
                long i = e.getKey();
                if (!logs.counts(r, i)) {
                    continue;
                }
                Long before = hashAt.putIfAbsent(i, e.getValue());
                hashedFirst.putIfAbsent(i, r);
                if (before != null && before.longValue() != e.getValue()) {
                    out.add(ReplicaProperty.AGREEMENT, String.format(
                            "state hash at applied index %d: %s has %016x but %s has %016x", i, hashedFirst.get(i),
                            before, r, e.getValue()));
                }
            }
        }
        Map<Long, ReplicaEvent.FinalState> finalAt = new HashMap<>();
        for (ReplicaEvent e : history.events()) {
            if (e instanceof ReplicaEvent.FinalState f && history.settled()) {
                // Only a settled group is quiet: deliveries still in flight may touch the session table.
                ReplicaEvent.FinalState before = finalAt.putIfAbsent(f.appliedIndex(), f);
                if (before != null && before.hash() != f.hash()) {
                    out.add(ReplicaProperty.AGREEMENT, String.format(
                            "at the end, %s and %s are both at applied index %d but their states differ (%016x, %016x)",
                            before.replica(), f.replica(), f.appliedIndex(), before.hash(), f.hash()));
                }
            } else if (e instanceof ReplicaEvent.Divergent d) {
                out.add(ReplicaProperty.AGREEMENT, String.format(
                        "the replica core found %s diverged: its hash at applied index %d is %016x, a majority has %016x",
                        d.replica(), d.index(), d.ownHash(), d.agreedHash()));
            }
        }
    }

    /** No command twice in any replica's state; no refusal of a command never answered. */
    private static void exactlyOnce(ReplicaHistory history, ReplicaLogs logs, Violations out) {
        Set<Command> reported = new HashSet<>();
        for (MemberId r : logs.replicas()) {
            Map<Command, Long> seen = new HashMap<>();
            for (Map.Entry<Long, Command> e : logs.lineage(r).entrySet()) {
                Long first = seen.putIfAbsent(e.getValue(), e.getKey());
                if (first != null && reported.add(e.getValue())) {
                    out.add(ReplicaProperty.EXACTLY_ONCE, r + " applied " + e.getValue() + " twice: at index "
                            + first + " and at index " + e.getKey());
                }
            }
        }
        for (ReplicaEvent e : history.events()) {
            if (e instanceof ReplicaEvent.UnexpectedAnswer u) {
                out.add(ReplicaProperty.EXACTLY_ONCE, "client " + u.clientId() + " was answered " + u.status()
                        + " for command #" + u.sequence() + ", which it never had an answer for: " + u.detail());
            }
        }
    }

    /** Acknowledged commands are in the acknowledging replica's state, and on every live replica at the end. */
    private static void durability(ReplicaHistory history, ReplicaLogs logs, Violations out) {
        List<ReplicaEvent.Acknowledged> acks = new ArrayList<>();
        List<ReplicaEvent.FinalState> finals = new ArrayList<>();
        for (ReplicaEvent e : history.events()) {
            if (e instanceof ReplicaEvent.Acknowledged a) {
                acks.add(a);
                Command c = new Command(a.clientId(), a.sequence());
                if (logs.replicas().contains(a.replica()) && logs.indexOf(a.replica(), c, a.appliedIndex()) < 0) {
                    out.add(ReplicaProperty.DURABILITY, c + " was acknowledged OK by " + a.replica()
                            + " at applied index " + a.appliedIndex() + ", but its state does not include it");
                }
            } else if (e instanceof ReplicaEvent.FinalState f) {
                finals.add(f);
            }
        }
        if (!history.settled()) {
            return; // replicas at different indexes: liveness reports it
        }
        for (ReplicaEvent.FinalState f : finals) {
            for (ReplicaEvent.Acknowledged a : acks) {
                Command c = new Command(a.clientId(), a.sequence());
                if (logs.indexOf(f.replica(), c, f.appliedIndex()) < 0) {
                    out.add(ReplicaProperty.DURABILITY, c + ", acknowledged OK by " + a.replica()
                            + ", is missing from live replica " + f.replica() + " at the end (applied index "
                            + f.appliedIndex() + ")");
                }
            }
        }
    }

    /** A LINEARIZABLE read answered at an index below a command acknowledged before the read began is stale. */
    private static void readFreshness(ReplicaHistory history, ReplicaLogs logs, Violations out) {
        record Owed(long index, ReplicaEvent.Acknowledged because) {
        }
        Owed owed = new Owed(0, null);
        Map<String, Owed> reads = new HashMap<>();
        for (ReplicaEvent e : history.events()) {
            if (e instanceof ReplicaEvent.Acknowledged a) {
                long i = logs.indexOf(a.replica(), new Command(a.clientId(), a.sequence()), a.appliedIndex());
                long index = i >= 0 ? i : a.appliedIndex();
                if (index > owed.index()) {
                    owed = new Owed(index, a);
                }
            } else if (e instanceof ReplicaEvent.ReadInvoked r && r.consistency() == ReadConsistency.LINEARIZABLE) {
                reads.put(r.clientId() + "/" + r.readNumber(), owed);
            } else if (e instanceof ReplicaEvent.ReadAnswered r) {
                Owed o = reads.get(r.clientId() + "/" + r.readNumber());
                if (o != null && r.appliedIndex() < o.index()) {
                    out.add(ReplicaProperty.READ_FRESHNESS, "stale read: linearizable read " + r.readNumber()
                            + " of client " + r.clientId() + " was answered by " + r.replica() + " at applied index "
                            + r.appliedIndex() + ", but " + new Command(o.because().clientId(), o.because().sequence())
                            + " (applied index " + o.index() + ") was acknowledged before the read was invoked");
                }
            }
        }
    }

    /** Where liveness is owed: the group settled and no client operation was left hanging. */
    private static void liveness(ReplicaHistory history, Violations out) {
        if (!history.livenessOwed()) {
            return;
        }
        for (ReplicaEvent e : history.events()) {
            if (e instanceof ReplicaEvent.NotSettled n) {
                out.add(ReplicaProperty.LIVENESS, "the group did not settle after the network healed: " + n.detail());
            } else if (e instanceof ReplicaEvent.Outstanding o) {
                out.add(ReplicaProperty.LIVENESS, "client " + o.clientId() + "'s " + o.operation() + ", invoked at "
                        + o.sinceMillis() + " ms and sent " + o.attempts() + " time(s), never completed");
            }
        }
    }

    private static void invariants(ReplicaHistory history, Violations out) {
        for (ReplicaEvent e : history.events()) {
            if (e instanceof ReplicaEvent.InvariantBroken b) {
                out.add(ReplicaProperty.INVARIANT, "invariant \"" + b.invariant() + "\" " + b.detail() + " at "
                        + b.replica() + " (applied index " + b.index() + ")");
            }
        }
    }

    /** Collects violations, capped per property. */
    private static final class Violations {
        private final Map<ReplicaProperty, List<ReplicaViolation>> byProperty = new EnumMap<>(ReplicaProperty.class);
        private final Map<ReplicaProperty, Integer> dropped = new EnumMap<>(ReplicaProperty.class);

        void add(ReplicaProperty p, String detail) {
            List<ReplicaViolation> list = byProperty.computeIfAbsent(p, k -> new ArrayList<>());
            if (list.size() < MAX_PER_PROPERTY) {
                list.add(new ReplicaViolation(p, detail));
            } else {
                dropped.merge(p, 1, Integer::sum);
            }
        }

        List<ReplicaViolation> list() {
            List<ReplicaViolation> all = new ArrayList<>();
            for (Map.Entry<ReplicaProperty, List<ReplicaViolation>> e : byProperty.entrySet()) {
                all.addAll(e.getValue());
                Integer more = dropped.get(e.getKey());
                if (more != null) {
                    all.add(new ReplicaViolation(e.getKey(), "... and " + more + " more like these"));
                }
            }
            return all;
        }
    }
}
