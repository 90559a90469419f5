package io.cohort.replication.core;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * Compares this replica's state hashes with the other replicas' at the same applied index. A
 * replica is divergent when a majority of the view agrees on a hash that is not its own; a
 * mismatch without such a majority is still counted (the others will find the odd one out).
 */
public final class DivergenceMonitor {

    /** What one comparison found. */
    public record Verdict(long index, long ownHash, long agreedHash) {
    }

    /** How many indexes of own hashes and peers' reports are kept. */
    private static final int KEPT_INDEXES = 64;

    private final TreeMap<Long, Long> ownHashes = new TreeMap<>();
    private final TreeMap<Long, Map<String, Long>> reports = new TreeMap<>();
    private boolean divergent;

    /**
     * Records this replica's hash at an index.
     *
     * @param index    the applied index
     * @param hash     the hash
     * @param majority replicas needed to agree
     * @param observer told of each comparison
     * @return a verdict if this replica is now known divergent, else null
     */
    public Verdict own(long index, long hash, int majority, ReplicaObserver observer) {
        ownHashes.put(index, hash);
        trim(ownHashes);
        Map<String, Long> theirs = reports.get(index);
        if (theirs != null) {
            for (long h : theirs.values()) {
                observer.divergenceCheck(h == hash);
            }
        }
        return judge(index, majority);
    }

    /**
     * Records a peer's report.
     *
     * @param member   the peer's name
     * @param index    the applied index
     * @param hash     its hash
     * @param majority replicas needed to agree
     * @param observer told of the comparison, if this replica has its own hash for the index
     * @return a verdict if this replica is now known divergent, else null
     */
    public Verdict report(String member, long index, long hash, int majority, ReplicaObserver observer) {
        reports.computeIfAbsent(index, i -> new HashMap<>()).put(member, hash);
        trim(reports);
        Long mine = ownHashes.get(index);
        if (mine != null) {
            observer.divergenceCheck(mine == hash);
        }
        return judge(index, majority);
    }

    private Verdict judge(long index, int majority) {
        Long mine = ownHashes.get(index);
        Map<String, Long> theirs = reports.get(index);
        if (divergent || mine == null || theirs == null) {
            return null;
        }
        Map<Long, Integer> votes = new HashMap<>();
        votes.merge(mine, 1, Integer::sum);
        for (long h : theirs.values()) {
            votes.merge(h, 1, Integer::sum);
        }
        for (Map.Entry<Long, Integer> v : votes.entrySet()) {
            if (v.getKey() != mine.longValue() && v.getValue() >= majority) {
                divergent = true;
                return new Verdict(index, mine, v.getKey());
            }
        }
        return null;
    }

    /** Forgets everything: a new incarnation or a restored state starts over. */
    public void reset() {
        ownHashes.clear();
        reports.clear();
        divergent = false;
    }

    private static <V> void trim(TreeMap<Long, V> map) {
        Iterator<Long> it = map.keySet().iterator();
        while (map.size() > KEPT_INDEXES && it.hasNext()) {
            it.next();
            it.remove();
        }
    }
}
