package io.cohort.runtime;

import io.cohort.transport.DiscoveryStatus;
import io.cohort.transport.Endpoint;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides, at start-up, whether to join an existing group or start a new one.
 *
 * <p>The rule (every member lists the same seeds): if any seed answers that it is a member,
 * join. Otherwise only the seed with the lowest address starts the group, once a majority of
 * the seeds (itself included) have answered that nobody has one; everyone else waits and then
 * joins it. A seed may stand in for lower seeds only after they have been silent for the
 * bootstrap timeout. Requiring a majority keeps a member cut off from the rest from starting a
 * group of its own; the lowest-address rule keeps two members from starting two groups at once.
 */
final class Discovery {

    enum Decision { WAIT, JOIN, BOOTSTRAP }

    private record Reply(DiscoveryStatus status, long atNanos) {
    }

    private final List<Endpoint> seeds;
    private final Endpoint self;
    private final long bootstrapTimeoutNanos;
    private final long freshnessNanos;
    private final long startNanos;
    private final Map<Endpoint, Reply> replies = new HashMap<>();

    /**
     * @param seeds              the seed addresses
     * @param self               this member's advertised address
     * @param bootstrapTimeoutMs how long lower seeds may stay silent before this one may start the group
     * @param roundMillis        how often discovery asks
     * @param startNanos         when discovery started
     */
    Discovery(List<Endpoint> seeds, Endpoint self, long bootstrapTimeoutMs, long roundMillis, long startNanos) {
        this.seeds = List.copyOf(seeds);
        this.self = self;
        this.bootstrapTimeoutNanos = bootstrapTimeoutMs * 1_000_000L;
        this.freshnessNanos = 3 * roundMillis * 1_000_000L;
        this.startNanos = startNanos;
    }

    /** @return the seeds to ask (all but this member) */
    List<Endpoint> others() {
        return seeds.stream().filter(s -> !s.equals(self)).toList();
    }

    void reply(Endpoint from, DiscoveryStatus status, long now) {
        replies.put(from, new Reply(status, now));
    }

    Decision decide(long now) {
        boolean selfIsSeed = seeds.contains(self);
        if (seeds.isEmpty() || (seeds.size() == 1 && selfIsSeed)) {
            return Decision.BOOTSTRAP;
        }
        int heard = selfIsSeed ? 1 : 0;
        for (Map.Entry<Endpoint, Reply> e : replies.entrySet()) {
            if (now - e.getValue().atNanos() > freshnessNanos) {
                continue;
            }
            if (e.getValue().status() == DiscoveryStatus.MEMBER) {
                return Decision.JOIN;
            }
            if (seeds.contains(e.getKey()) && !e.getKey().equals(self)) {
                heard++;
            }
        }
        if (!selfIsSeed || heard < seeds.size() / 2 + 1) {
            return Decision.WAIT;
        }
        for (Endpoint s : seeds) {
            if (s.compareTo(self) < 0) {
                Reply r = replies.get(s);
                boolean silent = r == null || now - r.atNanos() > freshnessNanos;
                if (!silent || now - startNanos < bootstrapTimeoutNanos) {
                    return Decision.WAIT;
                }
            }
        }
        return Decision.BOOTSTRAP;
    }
}
