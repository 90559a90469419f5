package io.cohort.runtime;

import io.cohort.api.MemberId;
import io.cohort.api.View;
import io.cohort.transport.PeerIdentity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Heartbeat failure detector. Any envelope from a peer counts as a sign of life (I/O threads
 * record it); the protocol thread checks every few milliseconds which view members have been
 * silent longer than the timeout and suspects them, once per incarnation.
 *
 * <p>A member that was itself paused (SIGSTOP, a long GC) notices the gap between its own
 * checks and restarts every peer's clock instead of suspecting the whole group: after a pause it
 * is the one likely to be excluded, and the group tells it so.
 */
final class FailureDetector {

    private static final Logger LOG = LoggerFactory.getLogger(FailureDetector.class);

    private record Heard(long incarnation, long nanos) {
    }

    private final long timeoutNanos;
    private final Map<String, Heard> heard = new ConcurrentHashMap<>();
    private final Map<MemberId, Long> lastSeen = new HashMap<>();
    private final Set<MemberId> suspected = new HashSet<>();
    private long lastCheckNanos;

    FailureDetector(long timeoutMillis) {
        this.timeoutNanos = timeoutMillis * 1_000_000L;
    }

    /** Called from I/O threads for every envelope. */
    void heardFrom(PeerIdentity peer) {
        heard.put(peer.name(), new Heard(peer.incarnation(), System.nanoTime()));
    }

    /**
     * @param view current view
     * @param self this incarnation
     * @param now  {@link System#nanoTime()}
     * @return members to suspect now
     */
    List<MemberId> check(View view, MemberId self, long now) {
        if (lastCheckNanos != 0 && now - lastCheckNanos > timeoutNanos / 2) {
            LOG.warn("{}: the failure detector did not run for {} ms (process paused?); restarting peer clocks",
                    self, (now - lastCheckNanos) / 1_000_000);
            lastSeen.replaceAll((m, t) -> now);
        }
        lastCheckNanos = now;
        List<MemberId> out = new ArrayList<>(0);
        for (MemberId m : view.members()) {
            if (m.equals(self)) {
                continue;
            }
            long seen = lastSeen.getOrDefault(m, now);
            Heard h = heard.get(m.name());
            if (h != null && h.incarnation() == m.incarnation() && h.nanos() - seen > 0) {
                seen = h.nanos();
            }
            lastSeen.put(m, seen);
            if (now - seen > timeoutNanos && suspected.add(m)) {
                out.add(m);
            }
        }
        if (lastSeen.size() > view.size()) {
            lastSeen.keySet().retainAll(view.members());
            suspected.retainAll(view.members());
        }
        return out;
    }

    /**
     * Counts every peer as heard now: used while this member cannot read its input, when
     * silence is its own fault.
     *
     * @param now {@link System#nanoTime()}
     */
    void restartClocks(long now) {
        lastSeen.replaceAll((m, t) -> now);
        lastCheckNanos = now;
    }

    /** A new incarnation starts from nothing. */
    void reset() {
        lastSeen.clear();
        suspected.clear();
        lastCheckNanos = 0;
    }

    /** @return whether this detector suspected {@code m} */
    boolean suspects(MemberId m) {
        return suspected.contains(m);
    }
}
