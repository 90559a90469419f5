package io.cohort.protocol.link;

import io.cohort.api.MemberId;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** The reliable links of one member incarnation, one per peer incarnation it talks to. */
public final class LinkTable {

    private final MemberId self;
    private final Map<MemberId, ReliableLink> links = new LinkedHashMap<>();

    /**
     * @param self this incarnation
     */
    public LinkTable(MemberId self) {
        this.self = self;
    }

    /**
     * @param peer a peer incarnation
     * @return its link, created on first use
     */
    public ReliableLink to(MemberId peer) {
        return links.computeIfAbsent(peer, p -> new ReliableLink(self, p));
    }

    /**
     * @param peer a peer incarnation
     * @return its link, or null if there is none
     */
    public ReliableLink existing(MemberId peer) {
        return links.get(peer);
    }

    /**
     * Drops the links to every peer not in {@code keep}: their buffers are released.
     *
     * @param keep peers whose links survive
     */
    public void retainOnly(Set<MemberId> keep) {
        links.keySet().retainAll(keep);
    }

    /** @return all links */
    public Collection<ReliableLink> all() {
        return links.values();
    }

    /** @return whether any link has frames awaiting acknowledgement */
    public boolean anyUnacked() {
        for (ReliableLink l : links.values()) {
            if (l.hasUnacked()) {
                return true;
            }
        }
        return false;
    }
}
