package io.cohort.simulation;

import io.cohort.api.MemberId;

import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Carries frames and heartbeats between simulated hosts over the {@link SimNetwork}: to a member
 * by name (its current incarnation checks the address), to every other running host (join
 * requests, which know no incarnation yet), and heartbeats, dropped when they reach a later
 * incarnation than the one they were meant for.
 *
 * @param <H> the kind of host
 */
public final class HostRouter<H extends SimHost> {

    private final SimNetwork network;
    private final Function<String, H> byName;
    private final Supplier<Iterable<H>> all;

    /**
     * @param network the simulated network
     * @param byName  finds a host by name, or null
     * @param all     every host, in a fixed order (it decides the order of sends to seeds)
     */
    public HostRouter(SimNetwork network, Function<String, H> byName, Supplier<Iterable<H>> all) {
        this.network = network;
        this.byName = byName;
        this.all = all;
    }

    /**
     * @param from  the sender
     * @param to    the incarnation addressed
     * @param frame the frame
     */
    public void sendFrame(H from, MemberId to, byte[] frame) {
        H target = byName.apply(to.name());
        if (target != null) {
            network.send(from.name(), to.name(), frame, target::receiveFrame);
        }
    }

    /**
     * @param from  the sender
     * @param frame a frame for every other running host
     */
    public void sendToSeeds(H from, byte[] frame) {
        for (H target : all.get()) {
            if (target != from && target.up() && target.id() != null) {
                network.send(from.name(), target.name(), frame, target::receiveFrame);
            }
        }
    }

    /**
     * @param from the sender
     * @param to   the incarnation the heartbeat is for
     */
    public void sendHeartbeat(H from, MemberId to) {
        H target = byName.apply(to.name());
        if (target == null) {
            return;
        }
        MemberId sender = from.id();
        network.send(from.name(), to.name(), new byte[0], bytes -> {
            if (target.id() != null && target.id().equals(to)) {
                target.receiveHeartbeat(sender);
            }
        });
    }
}
