package io.cohort.runtime;

import io.cohort.group.RecoveryClaim;
import io.cohort.transport.DiscoveryStatus;
import io.cohort.transport.Endpoint;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
 *
 * <p>After a total failure, members restarting from disk carry a {@link RecoveryClaim}. Candidates
 * are then ranked by claim first (most advanced first) and address second; a seed that is silent
 * counts as having no claim. A candidate with a claim also needs to hear from a majority of its
 * last view's members that have state on disk before it starts the group (see RecoveryClaim for
 * why that keeps every acknowledged command), and it starts the group at the view after its last.
 */
final class Discovery {

    enum Decision { WAIT, JOIN, BOOTSTRAP }

    private record Reply(DiscoveryStatus status, Endpoint backs, long atNanos, String name, RecoveryClaim claim) {
    }

    private final List<Endpoint> seeds;
    private final Endpoint self;
    private final long bootstrapTimeoutNanos;
    private final long freshnessNanos;
    private final long abstainNanos;
    private final long startNanos;
    private final String selfName;
    private final RecoveryClaim ownClaim;
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
        this(seeds, self, bootstrapTimeoutMs, roundMillis, startNanos, "", RecoveryClaim.NONE);
    }

    /**
     * @param seeds              the seed addresses (normalized)
     * @param self               this member's advertised address (normalized)
     * @param bootstrapTimeoutMs how long lower seeds may stay silent before they stop being backed
     * @param roundMillis        how often discovery asks (an answer counts for three rounds)
     * @param startNanos         when discovery started
     * @param selfName           this member's name
     * @param ownClaim           what this member holds on disk ({@link RecoveryClaim#NONE} if nothing)
     */
    Discovery(List<Endpoint> seeds, Endpoint self, long bootstrapTimeoutMs, long roundMillis, long startNanos,
              String selfName, RecoveryClaim ownClaim) {
        this.selfName = selfName;
        this.ownClaim = ownClaim;
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
        reply(from, "", status, backs, RecoveryClaim.NONE, now);
    }

    /**
     * Records an answer.
     *
     * @param from   who answered
     * @param name   its member name
     * @param status its status
     * @param backs  the seed it backs to start the group, or null
     * @param claim  what it holds on disk
     * @param now    {@link System#nanoTime()}
     */
    void reply(Endpoint from, String name, DiscoveryStatus status, Endpoint backs, RecoveryClaim claim, long now) {
        if (status == DiscoveryStatus.INACTIVE) {
            // A process that no longer takes part is as good as absent: it must not block the
            // start of a group by looking like a lower seed that is about to start one.
            replies.remove(from);
            return;
        }
        replies.put(from, new Reply(status, backs, now, name, claim));
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

    /**
     * The seed that should start the group, as far as this member knows: the best claim, then the
     * lowest address, among itself, the seeds still looking, and (counted as claiming nothing)
     * lower seeds not yet silent for the bootstrap timeout.
     */
    private Endpoint candidate(long now) {
        Endpoint best = seeds.contains(self) ? self : null;
        RecoveryClaim bestClaim = best != null ? ownClaim : null;
        boolean lowerStillExcused = now - startNanos < bootstrapTimeoutNanos;
        for (Endpoint s : seeds) {
            if (s.equals(self)) {
                continue;
            }
            Reply r = replies.get(s);
            boolean looking = fresh(r, now) && r.status() == DiscoveryStatus.DISCOVERING;
            boolean silent = !fresh(r, now);
            RecoveryClaim claim = looking ? r.claim() : RecoveryClaim.NONE;
            if ((looking || (silent && lowerStillExcused)) && ranksBefore(claim, s, bestClaim, best)) {
                best = s;
                bestClaim = claim;
            }
        }
        return best;
    }

    private static boolean ranksBefore(RecoveryClaim claim, Endpoint address, RecoveryClaim bestClaim, Endpoint best) {
        if (best == null) {
            return true;
        }
        int byClaim = claim.compareProgress(bestClaim);
        return byClaim != 0 ? byClaim > 0 : address.compareTo(best) < 0;
    }

    /**
     * Whether enough of this member's last view is back for it to restart the group from its own
     * disk: a majority of that view's members, counting only those with state on disk.
     *
     * @param now {@link System#nanoTime()}
     * @return true if this member claims nothing or the majority is present
     */
    boolean recoveryQuorum(long now) {
        int needed = ownClaim.quorum();
        if (needed == 0) {
            return true;
        }
        Set<String> present = new HashSet<>();
        if (!ownClaim.isNone()) {
            present.add(selfName);
        }
        for (Reply r : replies.values()) {
            if (fresh(r, now) && r.status() == DiscoveryStatus.DISCOVERING && !r.claim().isNone()) {
                present.add(r.name());
            }
        }
        present.retainAll(ownClaim.lastViewMembers());
        return present.size() >= needed;
    }

    /** @return the view a group started by this member begins with: the one after its last */
    long firstViewId() {
        return ownClaim.lastViewId() + 1;
    }

    Decision decide(long now) {
        if (memberSeen(now)) {
            return Decision.JOIN;
        }
        boolean selfIsSeed = seeds.contains(self);
        if (seeds.isEmpty() || (seeds.size() == 1 && selfIsSeed)) {
            return recoveryQuorum(now) ? Decision.BOOTSTRAP : Decision.WAIT;
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
        return backers >= seeds.size() / 2 + 1 && recoveryQuorum(now) ? Decision.BOOTSTRAP : Decision.WAIT;
    }
}
