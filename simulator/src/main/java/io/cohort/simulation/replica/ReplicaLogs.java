package io.cohort.simulation.replica;

import io.cohort.api.MemberId;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The applied logs of a run's replica incarnations, rebuilt from a {@link ReplicaHistory}. An
 * incarnation's own records start after its snapshot; its lineage is the whole command sequence
 * its state reflects: the donor's lineage up to the snapshot index, then its own records. The
 * checks compare lineages, so a joiner that restored a wrong state is caught even though it never
 * applied those commands itself.
 */
final class ReplicaLogs {

    /** A client command, the unit of exactly-once. */
    record Command(long clientId, long sequence) {
        @Override
        public String toString() {
            return "client " + clientId + " #" + sequence;
        }
    }

    /** What one incarnation did. */
    private static final class Log {
        MemberId donor;
        long startIndex;
        boolean stopped;
        final TreeMap<Long, Command> own = new TreeMap<>();
        final Set<Long> speculative = new HashSet<>();
        final Set<Command> confirmed = new HashSet<>();
        final TreeMap<Long, Long> hashes = new TreeMap<>();
    }

    private final Map<MemberId, Log> logs = new LinkedHashMap<>();
    private final Map<MemberId, TreeMap<Long, Command>> lineages = new HashMap<>();
    private final Map<MemberId, Map<Command, Long>> positions = new HashMap<>();
    private final List<String> anomalies = new ArrayList<>();

    private ReplicaLogs() {
    }

    /**
     * @param history a run's history
     * @return the logs it describes
     */
    static ReplicaLogs of(ReplicaHistory history) {
        ReplicaLogs l = new ReplicaLogs();
        for (ReplicaEvent e : history.events()) {
            if (e instanceof ReplicaEvent.StateInPlace s) {
                Log log = l.log(s.replica());
                log.donor = s.donor();
                log.startIndex = s.index();
            } else if (e instanceof ReplicaEvent.Applied a) {
                Log log = l.log(a.replica());
                Command c = new Command(a.clientId(), a.sequence());
                Command before = log.own.put(a.index(), c);
                if (before != null) {
                    l.anomalies.add(a.replica() + " applied index " + a.index() + " twice: " + before + ", then " + c);
                }
                if (a.index() <= log.startIndex) {
                    l.anomalies.add(a.replica() + " applied " + c + " at index " + a.index()
                            + ", at or below the index of the state it started from (" + log.startIndex + ")");
                }
                if (a.speculative()) {
                    log.speculative.add(a.index());
                }
            } else if (e instanceof ReplicaEvent.Confirmed c) {
                l.log(c.replica()).confirmed.add(new Command(c.clientId(), c.sequence()));
            } else if (e instanceof ReplicaEvent.Hashed h) {
                l.log(h.replica()).hashes.put(h.index(), h.hash());
            } else if (e instanceof ReplicaEvent.Stopped s) {
                l.log(s.replica()).stopped = true;
            }
        }
        return l;
    }

    private Log log(MemberId replica) {
        return logs.computeIfAbsent(replica, r -> new Log());
    }

    /** @return every incarnation seen, in order of first appearance */
    Set<MemberId> replicas() {
        return Collections.unmodifiableSet(logs.keySet());
    }

    /** @return impossible records (an index applied twice, below the snapshot) */
    List<String> anomalies() {
        return anomalies;
    }

    /**
     * @param replica an incarnation
     * @return index to command for everything its state reflects (unknown indexes are absent)
     */
    TreeMap<Long, Command> lineage(MemberId replica) {
        TreeMap<Long, Command> cached = lineages.get(replica);
        if (cached != null) {
            return cached;
        }
        // Marks the computation in progress: a donor cycle (impossible in a real run) ends here.
        lineages.put(replica, new TreeMap<>());
        Log log = logs.get(replica);
        TreeMap<Long, Command> full = new TreeMap<>();
        if (log != null) {
            if (log.donor != null && logs.containsKey(log.donor)) {
                full.putAll(lineage(log.donor).headMap(log.startIndex, true));
            }
            full.putAll(log.own);
        }
        lineages.put(replica, full);
        return full;
    }

    /**
     * Whether this incarnation's record at {@code index} is the group's: not a primary's
     * speculative update that the primary never saw delivered before it ended. Such an update
     * died with it, unseen by any client (a primary answers only once its update is delivered).
     *
     * @param replica an incarnation
     * @param index   an index it applied
     * @return whether the record counts for agreement
     */
    boolean counts(MemberId replica, long index) {
        Log log = logs.get(replica);
        if (log == null || !log.stopped || !log.speculative.contains(index)) {
            return true;
        }
        Command c = log.own.get(index);
        return c != null && log.confirmed.contains(c);
    }

    /**
     * @param replica an incarnation
     * @return its state hashes by applied index
     */
    TreeMap<Long, Long> hashes(MemberId replica) {
        Log log = logs.get(replica);
        return log == null ? new TreeMap<>() : log.hashes;
    }

    /**
     * @param replica an incarnation
     * @param index   an applied index
     * @return whether the index is one of its own records (not inherited through its snapshot)
     */
    boolean ownRecord(MemberId replica, long index) {
        Log log = logs.get(replica);
        return log != null && log.own.containsKey(index);
    }

    /**
     * @param replica an incarnation
     * @param command a command
     * @param upTo    highest index to look at
     * @return the index at which the replica's lineage holds the command, or -1
     */
    long indexOf(MemberId replica, Command command, long upTo) {
        Long index = positions.computeIfAbsent(replica, r -> {
            Map<Command, Long> first = new HashMap<>();
            lineage(r).forEach((i, c) -> first.putIfAbsent(c, i));
            return first;
        }).get(command);
        return index == null || index > upTo ? -1 : index;
    }
}
