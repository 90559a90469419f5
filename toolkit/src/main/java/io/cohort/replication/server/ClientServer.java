package io.cohort.replication.server;

import io.cohort.replication.wire.ClientFrameCodec;
import io.cohort.replication.wire.ClientRequestHandler;
import io.cohort.transport.TcpServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The client-facing port of a replica: accepts connections from {@code CohortClient}s, decodes
 * {@link io.cohort.replication.wire.ClientRequest}s ({@link ClientFrameCodec}), hands each to a
 * {@link ClientRequestHandler} and writes back its response.
 *
 * <ul>
 *   <li><b>Pipelining.</b> A client may have many requests in flight on one connection; responses
 *       go back as their futures complete, in any order (the client matches them by sequence).</li>
 *   <li><b>Back-pressure.</b> At most {@code maxInFlightPerConnection} unanswered requests per
 *       connection; above it the connection stops reading until fewer than half remain.</li>
 *   <li><b>Every request is answered</b> (while its connection is open): a handler that throws is
 *       answered {@code REJECTED} ({@code RETRY} if it threw {@code RejectedExecutionException},
 *       i.e. it is shutting down); a future that completes exceptionally is answered {@code RETRY}.</li>
 *   <li><b>Bad input</b> (bad length header, magic, version, checksum or body) is logged once at
 *       WARN with the remote address and reason, counted in {@code cohort.client.malformed}, and
 *       closes that connection only. A length header above the maximum is refused as soon as it is
 *       read, without waiting for or allocating the frame.</li>
 * </ul>
 *
 * <p>Meters (tag {@code member}): {@code cohort.client.connections} (gauge),
 * {@code cohort.client.requests} (tag {@code kind} = command|query), {@code cohort.client.responses}
 * (tag {@code status}, the {@link io.cohort.replication.wire.ResponseStatus} in lower case) and
 * {@code cohort.client.malformed}.
 */
public final class ClientServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClientServer.class);

    private final String name;
    private final ClientServerMetrics metrics;
    private final TcpServer server;
    private final InetSocketAddress localAddress;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ClientServer(Builder b) throws IOException {
        this.name = b.name;
        int maxFrameBytes = b.maxFrameBytes;
        // Bounds what responses a slow reader can make this process buffer, beyond the in-flight limit.
        this.server = new TcpServer("cohort-client-io-" + b.name, b.ioThreads, Math.max(maxFrameBytes, 1 << 20));
        this.metrics = new ClientServerMetrics(b.registry, b.name, server::connectionCount);
        int maxInFlight = b.maxInFlightPerConnection;
        ClientRequestHandler handler = b.handler;
        try {
            this.localAddress = server.bind(b.host, b.port, "clients", ch -> {
                ch.pipeline().addLast("frames", new LengthFieldBasedFrameDecoder(maxFrameBytes, 0,
                        ClientFrameCodec.LENGTH_BYTES, 0, ClientFrameCodec.LENGTH_BYTES, true));
                ch.pipeline().addLast("client", new ClientConnection(ClientServer.this, handler, metrics,
                        maxFrameBytes, maxInFlight));
            });
        } catch (IOException e) {
            metrics.close();
            throw new IOException(name + ": " + e.getMessage(), e);
        }
        LOG.info("{}: listening for clients on {}", name, localAddress);
    }

    /**
     * @param name    the member's name: names the I/O thread and tags the meters
     * @param handler what to do with each request
     * @return a builder
     */
    public static Builder builder(String name, ClientRequestHandler handler) {
        return new Builder(name, handler);
    }

    /** @return the address the server listens on (with the real port when 0 was asked for) */
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    /** @return the member's name */
    public String name() {
        return name;
    }

    /** @return the number of open client connections */
    public int connectionCount() {
        return server.connectionCount();
    }

    /**
     * Stops listening, closes every client connection and stops the I/O threads. Requests still
     * with the handler are not answered: their clients see the connection close and fail over.
     * Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        server.close();
        metrics.close();
        LOG.info("{}: stopped listening for clients on {}", name, localAddress);
    }

    /** Configures and starts a {@link ClientServer}. */
    public static final class Builder {

        private final String name;
        private final ClientRequestHandler handler;
        private String host = "0.0.0.0";
        private int port;
        private MeterRegistry registry = Metrics.globalRegistry;
        private int maxFrameBytes = ClientFrameCodec.DEFAULT_MAX_FRAME_BYTES;
        private int maxInFlightPerConnection = 1024;
        private int ioThreads = 1;

        private Builder(String name, ClientRequestHandler handler) {
            this.name = Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("name is blank");
            }
            this.handler = Objects.requireNonNull(handler, "handler");
        }

        /**
         * @param host the address to listen on (default {@code 0.0.0.0}, every interface)
         * @return this builder
         */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /**
         * @param port the port to listen on; 0 (the default) picks a free one
         * @return this builder
         */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port " + port + " out of range");
            }
            this.port = port;
            return this;
        }

        /**
         * @param registry where meters go (default {@link Metrics#globalRegistry})
         * @return this builder
         */
        public Builder meterRegistry(MeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * @param maxFrameBytes the largest frame accepted or sent, length prefix included
         *                      (default 16 MiB); a response that would be larger is answered
         *                      {@code REJECTED}
         * @return this builder
         */
        public Builder maxFrameBytes(int maxFrameBytes) {
            this.maxFrameBytes = ClientFrameCodec.checkMaxFrameBytes(maxFrameBytes);
            return this;
        }

        /**
         * @param maxInFlight the most unanswered requests per connection before it stops reading
         *                    (default 1024)
         * @return this builder
         */
        public Builder maxInFlightPerConnection(int maxInFlight) {
            if (maxInFlight < 1) {
                throw new IllegalArgumentException("maxInFlightPerConnection " + maxInFlight + " < 1");
            }
            this.maxInFlightPerConnection = maxInFlight;
            return this;
        }

        /**
         * @param ioThreads I/O threads (default 1: the work per request is small, the replica
         *                  does the rest on its own threads)
         * @return this builder
         */
        public Builder ioThreads(int ioThreads) {
            if (ioThreads < 1) {
                throw new IllegalArgumentException("ioThreads " + ioThreads + " < 1");
            }
            this.ioThreads = ioThreads;
            return this;
        }

        /**
         * Binds the port and starts serving.
         *
         * @return the running server
         * @throws IOException if the port cannot be bound
         */
        public ClientServer start() throws IOException {
            return new ClientServer(this);
        }
    }
}
