package io.cohort.runtime;

import io.cohort.transport.DiscoveryStatus;
import io.cohort.transport.Endpoint;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides, at start-up, whether to join an existing group or start a new one.
 *
 * <p>The rule (every member lists the same seeds):
 * <ol>
 *   <li>If any process answers that it is a member of a group, join.</li>
 *   <li>Otherwise every seed <em>backs</em> one candidate to start the group: the lowest seed
 *       address among itself, the seeds that answered that they are still looking, and lower
 *       seeds that have not yet been silent for the bootstrap timeout. Answers carry the
 *       sender's backing.</li>
 *   <li>A seed starts the group only when it backs itself and a majority of the seeds back it.</li>
 *   <li>A seed that changes its mind first backs nobody for as long as an answer counts (three
 *       rounds, plus one): an earlier answer backing the old candidate can then no longer be
 *       counted by anyone when the new one is counted.</li>
 * </ol>
 * Since each seed backs at most one candidate at any time and every backing is withdrawn
 * before it is replaced, two candidates cannot both hold a majority: two members starting at
 * once, or one seed starting late, still end in one group. A minority (a member cut off from
 * most seeds) cannot start a group at all.
 */
final class Discovery {

    enum Decision { WAIT, JOIN, BOOTSTRAP }

    private record Reply(DiscoveryStatus status, Endpoint backs, long atNanos) {
    }

    private final List<Endpoint> seeds;
    private final Endpoint self;
    private final long bootstrapTimeoutNanos;
    private final long freshnessNanos;
    private final long abstainNanos;
    private final long startNanos;
    private final Map<Endpoint, Reply> replies = new HashMap<>();
    private Endpoint backing;
    private long abstainingSince = -1;

    /**
     * @param seeds              the seed addresses (normalized)
     * @param self               this member's advertised address (normalized)
     * @param bootstrapTimeoutMs how long lower seeds may stay silent before they stop being backed
     * @param roundMillis        how often discovery asks (an answer counts for three rounds)
     * @param startNanos         when discovery started
     */
    Discovery(List<Endpoint> seeds, Endpoint self, long bootstrapTimeoutMs, long roundMillis, long startNanos) {
        this.seeds = List.copyOf(seeds);
        this.self = self;
        this.bootstrapTimeoutNanos = bootstrapTimeoutMs * 1_000_000L;
        this.freshnessNanos = 3 * roundMillis * 1_000_000L;
        this.abstainNanos = freshnessNanos + roundMillis * 1_000_000L;
        this.startNanos = startNanos;
    }

    /** @return the seeds to ask (all but this member) */
    List<Endpoint> others() {
        return seeds.stream().filter(s -> !s.equals(self)).toList();
    }

    /**
     * Records an answer.
     *
     * @param from   who answered
     * @param status its status
     * @param backs  the seed it backs to start the group, or null
     * @param now    {@link System#nanoTime()}
     */
    void reply(Endpoint from, DiscoveryStatus status, Endpoint backs, long now) {
        if (status == DiscoveryStatus.INACTIVE) {
            // A process that no longer takes part is as good as absent: it must not block the
            // start of a group by looking like a lower seed that is about to start one.
            replies.remove(from);
            return;
        }
        replies.put(from, new Reply(status, backs, now));
    }

    /** @return whether some process answered recently that it is a member of a group */
    boolean memberSeen(long now) {
        for (Reply r : replies.values()) {
            if (r.status() == DiscoveryStatus.MEMBER && fresh(r, now)) {
                return true;
            }
        }
        return false;
    }

    private boolean fresh(Reply r, long now) {
        return r != null && now - r.atNanos() <= freshnessNanos;
    }

    /**
     * The seed this member backs now (to tell others in its answers), or null while it
     * abstains or is no seed-aware candidate at all.
     *
     * @param now {@link System#nanoTime()}
     * @return the backed seed, or null
     */
    Endpoint backs(long now) {
        Endpoint candidate = candidate(now);
        if (candidate == null || candidate.equals(backing)) {
            abstainingSince = -1;
            return backing;
        }
        if (backing == null) {
            backing = candidate;
            return backing;
        }
        if (abstainingSince < 0) {
            abstainingSince = now;
        }
        if (now - abstainingSince >= abstainNanos) {
            backing = candidate;
            abstainingSince = -1;
            return backing;
        }
        return null;
    }

    /** The lowest seed that may still start the group, as far as this member knows. */
    private Endpoint candidate(long now) {
        Endpoint best = seeds.contains(self) ? self : null;
        boolean lowerStillExcused = now - startNanos < bootstrapTimeoutNanos;
        for (Endpoint s : seeds) {
            if (s.equals(self) || (best != null && s.compareTo(best) >= 0)) {
                continue;
            }
            Reply r = replies.get(s);
            boolean looking = fresh(r, now) && r.status() == DiscoveryStatus.DISCOVERING;
            boolean silent = !fresh(r, now);
            if (looking || (silent && lowerStillExcused)) {
                best = s;
            }
        }
        return best;
    }

    Decision decide(long now) {
        if (memberSeen(now)) {
            return Decision.JOIN;
        }
        boolean selfIsSeed = seeds.contains(self);
        if (seeds.isEmpty() || (seeds.size() == 1 && selfIsSeed)) {
            return Decision.BOOTSTRAP;
        }
        if (!selfIsSeed || !self.equals(backs(now))) {
            return Decision.WAIT;
        }
        int backers = 1;
        for (Map.Entry<Endpoint, Reply> e : replies.entrySet()) {
            Reply r = e.getValue();
            if (!e.getKey().equals(self) && seeds.contains(e.getKey()) && fresh(r, now) && self.equals(r.backs())) {
                backers++;
            }
        }
        return backers >= seeds.size() / 2 + 1 ? Decision.BOOTSTRAP : Decision.WAIT;
    }
}
