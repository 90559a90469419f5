package io.cohort.replication.core;

/**
 * What replicas multicast to each other: the payloads of the group's messages in a replicated
 * state machine. Encoded by {@link EntryCodec}.
 */
public sealed interface Entry {

    /**
     * Active replication: a client command every replica applies. SAFE order.
     *
     * @param clientId            the client session
     * @param sequence            the command's number in the session
     * @param firstUnacknowledged lowest number the client still waits for; results below may be forgotten
     * @param timeMillis          the receiving replica's clock when it accepted the command: the
     *                            command's logical time once in the log (made monotonic)
     * @param payload             the command
     */
    record Command(long clientId, long sequence, long firstUnacknowledged, long timeMillis, byte[] payload)
            implements Entry {
    }

    /**
     * Primary-backup and coordinator-cohort: a client request, shown to every member so that the
     * handler executes it and the others can take over. FIFO order.
     *
     * @param clientId            the client session
     * @param sequence            the request's number in the session
     * @param firstUnacknowledged lowest number the client still waits for
     * @param timeMillis          the receiving replica's clock
     * @param payload             the request
     */
    record Request(long clientId, long sequence, long firstUnacknowledged, long timeMillis, byte[] payload)
            implements Entry {
    }

    /**
     * Primary-backup and coordinator-cohort: the update the handler produced for a request, which
     * every replica applies. SAFE order.
     *
     * @param clientId            the client session
     * @param sequence            the request's number in the session
     * @param firstUnacknowledged lowest number the client still waits for
     * @param timeMillis          the handler's clock when it executed the request
     * @param failed              whether execution threw: then nothing is applied, and the payload
     *                            is the error message every replica records as the result
     * @param payload             the update, or the error message
     */
    record Update(long clientId, long sequence, long firstUnacknowledged, long timeMillis, boolean failed,
                  byte[] payload) implements Entry {
    }

    /**
     * A replica's state hash at an applied index, for divergence detection. FIFO order.
     *
     * @param index the applied index the hash was taken at
     * @param hash  the hash of the replicated state (sessions and state machine) at that index
     */
    record HashReport(long index, long hash) implements Entry {
    }

    /**
     * How far the sender's command log holds the delivered commands and updates (appended, and
     * synced at durability level SYNC). A command is acknowledged to its client only once a
     * majority of the view holds it this way. FIFO order; never logged itself.
     *
     * @param sequence the last log sequence the sender holds
     */
    record LogProgress(long sequence) implements Entry {
    }
}
