package io.cohort.transport;

/**
 * What the transport needs to know.
 *
 * @param clusterName          hashed into every envelope
 * @param selfName             this member's name
 * @param bindHost             address to listen on
 * @param bindPort             port to listen on (0: any free port)
 * @param advertisedHost       host other members dial (null: the bound address)
 * @param maxFrameBytes        largest envelope accepted or sent
 * @param outboundQueueBytes   most bytes queued for one peer; beyond, frames are dropped (the core resends)
 * @param connectTimeoutMillis how long a dial may take
 * @param backoffMinMillis     first wait before redialling a peer
 * @param backoffMaxMillis     longest wait before redialling a peer
 * @param ioThreads            Netty event-loop threads
 */
public record TransportSettings(String clusterName, String selfName, String bindHost, int bindPort,
                                String advertisedHost, int maxFrameBytes, long outboundQueueBytes,
                                long connectTimeoutMillis, long backoffMinMillis, long backoffMaxMillis,
                                int ioThreads) {
}
