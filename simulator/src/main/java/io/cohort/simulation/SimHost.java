package io.cohort.simulation;

import io.cohort.api.MemberId;

/** What the network needs of a simulated host, whatever application it runs. */
public interface SimHost {

    /** @return the host's stable name */
    String name();

    /** @return whether the host's process is running */
    boolean up();

    /** @return the incarnation running now, or null before the first */
    MemberId id();

    /** @param bytes a protocol frame that reached the host */
    void receiveFrame(byte[] bytes);

    /** @param from the incarnation a heartbeat came from */
    void receiveHeartbeat(MemberId from);
}
