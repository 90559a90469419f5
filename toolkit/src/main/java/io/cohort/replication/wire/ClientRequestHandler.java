package io.cohort.replication.wire;

import java.util.concurrent.CompletableFuture;

/**
 * What a replica does with a client request: the seam between the client server (network) and the
 * replica (replication). Called on an I/O thread; must not block. The future may complete on any
 * thread and must always complete (with a failure {@link ClientResponse}, never exceptionally).
 */
@FunctionalInterface
public interface ClientRequestHandler {

    /**
     * @param request the decoded request
     * @return the response, eventually
     */
    CompletableFuture<ClientResponse> handle(ClientRequest request);
}
