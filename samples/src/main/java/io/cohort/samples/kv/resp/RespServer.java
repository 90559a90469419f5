package io.cohort.samples.kv.resp;

import io.cohort.transport.TcpServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Redis protocol (RESP2) server in front of a {@link KvService}: what {@code redis-cli},
 * {@code redis-benchmark} and any Redis client library talk to.
 *
 * <pre>{@code
 * RespServer server = RespServer.builder("kv1", service).port(6379).build();
 * ...
 * server.close();
 * }</pre>
 *
 * <p>Malformed input gets Redis's {@code -ERR Protocol error: ...} and the connection is closed;
 * limits on arguments and bulk lengths are checked before anything is allocated, so no request
 * can make the server hold more than {@code maxBulkBytes} per argument. Every other connection
 * keeps being served.
 */
public final class RespServer implements AutoCloseable {

    /** The Redis version whose protocol and replies the server follows, reported by INFO and HELLO. */
    public static final String REDIS_VERSION = "7.0.0";

    private static final Logger LOG = LoggerFactory.getLogger(RespServer.class);

    private final TcpServer server;
    private final InetSocketAddress localAddress;

    private RespServer(Builder b) throws IOException {
        // A client that does not read its replies stops being read from once 4 MiB wait for it.
        this.server = new TcpServer("cohort-resp-io-" + b.name, b.ioThreads, 4 << 20);
        RespMetrics metrics = new RespMetrics(b.registry, b.name, server::connectionCount);
        AtomicLong connectionIds = new AtomicLong();
        KvService service = b.service;
        int maxArgs = b.maxArgs;
        int maxBulkBytes = b.maxBulkBytes;
        int maxPending = b.maxPendingPerConnection;
        try {
            this.localAddress = server.bind(b.host, b.port, "Redis clients", ch -> {
                ConnectionCommands commands = new ConnectionCommands(connectionIds.incrementAndGet(), service,
                        server::connectionCount);
                ch.pipeline().addLast("resp", new RespDecoder(maxArgs, maxBulkBytes));
                ch.pipeline().addLast("connection", new RespConnection(service, metrics, commands, maxPending));
            });
        } catch (IOException e) {
            throw new IOException(b.name + ": " + e.getMessage(), e);
        }
        LOG.info("{}: listening for Redis clients on {}", b.name, localAddress);
    }

    /**
     * @param name    the member's name: names the I/O threads and tags the meters
     * @param service the store behind the server
     * @return a builder
     */
    public static Builder builder(String name, KvService service) {
        return new Builder(name, service);
    }

    /** @return the address the server listens on (with the real port when 0 was asked for) */
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    /** @return the number of open client connections */
    public int connectionCount() {
        return server.connectionCount();
    }

    /**
     * Stops listening, closes every connection and stops the I/O threads. Requests still in flight
     * are not answered; their clients see the connection close. Idempotent.
     */
    @Override
    public void close() {
        server.close();
    }

    /** Builds a {@link RespServer}. */
    public static final class Builder {
        private final String name;
        private final KvService service;
        private String host = "127.0.0.1";
        private int port = 6379;
        private int ioThreads = 1;
        private int maxArgs = 1024 * 1024;
        private int maxBulkBytes = 512 * 1024 * 1024;
        private int maxPendingPerConnection = 1024;
        private MeterRegistry registry = Metrics.globalRegistry;

        private Builder(String name, KvService service) {
            this.name = Objects.requireNonNull(name, "name");
            this.service = Objects.requireNonNull(service, "service");
        }

        /**
         * @param host address to listen on; default 127.0.0.1
         * @return this
         */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /**
         * @param port port to listen on, 0 for any free port; default 6379
         * @return this
         */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0 to 65535, got " + port);
            }
            this.port = port;
            return this;
        }

        /**
         * @param threads I/O threads serving connections; default 1
         * @return this
         */
        public Builder ioThreads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("ioThreads must be at least 1, got " + threads);
            }
            this.ioThreads = threads;
            return this;
        }

        /**
         * @param maxArgs most arguments one request may carry (Redis: 1024*1024); default 1048576
         * @return this
         */
        public Builder maxArgs(int maxArgs) {
            if (maxArgs < 1) {
                throw new IllegalArgumentException("maxArgs must be at least 1, got " + maxArgs);
            }
            this.maxArgs = maxArgs;
            return this;
        }

        /**
         * @param bytes longest argument accepted (Redis's proto-max-bulk-len: 512 MiB); a longer
         *              header is a protocol error. Requests larger than one replicated entry are
         *              refused by the replica with an error reply instead. Default 536870912
         * @return this
         */
        public Builder maxBulkBytes(int bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("maxBulkBytes must be at least 1, got " + bytes);
            }
            this.maxBulkBytes = bytes;
            return this;
        }

        /**
         * @param pending most requests of one connection not yet answered before it stops being
         *                read (pipelining deeper than this waits); default 1024
         * @return this
         */
        public Builder maxPendingPerConnection(int pending) {
            if (pending < 1) {
                throw new IllegalArgumentException("maxPendingPerConnection must be at least 1, got " + pending);
            }
            this.maxPendingPerConnection = pending;
            return this;
        }

        /**
         * @param registry where the {@code cohort.kv.resp.*} meters go; default the global registry
         * @return this
         */
        public Builder meterRegistry(MeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * Binds the port and starts serving.
         *
         * @return the running server
         * @throws IOException if the port cannot be bound
         */
        public RespServer build() throws IOException {
            return new RespServer(this);
        }
    }
}
