package io.cohort.samples.kv.resp;

import java.util.concurrent.CompletableFuture;

/**
 * What the Redis protocol server serves: the replicated key-value store behind it, as seen by one
 * replica. The server knows nothing of groups or logs; a {@link KvService} turns each client
 * connection into a {@link Session} whose commands go through the replicated log and whose reads
 * are answered with the configured freshness.
 */
public interface KvService {

    /** @return a new session for one client connection */
    Session openSession();

    /**
     * The text of one INFO section about this replica, in Redis's {@code field:value} lines.
     *
     * @param section a section name in lower case ("server", "replication", "clients" ...)
     * @return the lines (each ending in CRLF) without the {@code # Heading}, or null for a section
     *         this service does not have
     */
    String info(String section);

    /**
     * One client connection's access to the store. Called on the connection's I/O thread; the
     * futures complete on any thread and always complete with a RESP2 reply (errors are error
     * replies, never exceptions).
     */
    interface Session extends AutoCloseable {

        /**
         * Submits a command that changes the data.
         *
         * @param command an encoded {@link io.cohort.samples.kv.KvCommand}
         * @return its reply, once applied (and as durable as the replica promises)
         */
        CompletableFuture<byte[]> command(byte[] command);

        /**
         * Answers a read-only command.
         *
         * @param query an encoded {@link io.cohort.samples.kv.KvCommand}, one of
         *              {@link io.cohort.samples.kv.KeyValueStore#READ_ONLY}
         * @return its reply
         */
        CompletableFuture<byte[]> query(byte[] query);

        /** The connection closed: nothing more will be asked. Answers still due are dropped. */
        @Override
        void close();
    }
}
