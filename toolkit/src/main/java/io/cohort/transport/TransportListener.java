package io.cohort.transport;

import io.cohort.group.RecoveryClaim;
import java.util.List;

/**
 * Receives what arrives from peers. Called on Netty I/O threads: implementations hand the work
 * to the protocol thread and return at once.
 */
public interface TransportListener {

    /**
     * Any valid envelope arrived from {@code peer}: it is alive.
     *
     * @param peer the sender
     */
    void onAlive(PeerIdentity peer);

    /**
     * Protocol-core frames arrived.
     *
     * @param peer   the sender
     * @param frames the frames, in the order sent
     * @return false if the receiver is congested: the transport stops reading from this
     *         connection until {@link NettyTransport#resumeReading()} (TCP then slows the sender)
     */
    boolean onFrames(PeerIdentity peer, List<byte[]> frames);

    /**
     * A process asks whether there is a group; answer with {@link NettyTransport#sendDiscoverReply}.
     *
     * @param peer the asker
     */
    void onDiscover(PeerIdentity peer);

    /**
     * A process answered {@link NettyTransport#discover}.
     *
     * @param peer   who answered
     * @param status its status
     * @param viewId its view id, or 0 without a view
     * @param backs  the seed it backs to start a group, or null
     * @param claim  what it holds on disk, for a restart after a total failure
     */
    void onDiscoverReply(PeerIdentity peer, DiscoveryStatus status, long viewId, Endpoint backs, RecoveryClaim claim);
}
