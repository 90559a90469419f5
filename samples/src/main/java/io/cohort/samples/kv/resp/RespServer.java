package io.cohort.samples.kv.resp;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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

    private final String name;
    private final EventLoopGroup loops;
    private final Set<Channel> connections = ConcurrentHashMap.newKeySet();
    private final Channel serverChannel;
    private final InetSocketAddress localAddress;
    private final AtomicBoolean closed = new AtomicBoolean();

    private RespServer(Builder b) throws IOException {
        this.name = b.name;
        RespMetrics metrics = new RespMetrics(b.registry, b.name, connections::size);
        AtomicLong connectionIds = new AtomicLong();
        this.loops = new MultiThreadIoEventLoopGroup(b.ioThreads, new DefaultThreadFactory("cohort-resp-io-" + b.name,
                true), NioIoHandler.newFactory());
        KvService service = b.service;
        int maxArgs = b.maxArgs;
        int maxBulkBytes = b.maxBulkBytes;
        int maxPending = b.maxPendingPerConnection;
        ServerBootstrap sb = new ServerBootstrap().group(loops).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // A client that does not read its replies stops being read from once 4 MiB wait for it.
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(2 << 20, 4 << 20))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.add(ch);
                        ch.closeFuture().addListener(f -> connections.remove(ch));
                        ConnectionCommands commands = new ConnectionCommands(connectionIds.incrementAndGet(), service,
                                connections::size);
                        ch.pipeline().addLast("resp", new RespDecoder(maxArgs, maxBulkBytes));
                        ch.pipeline().addLast("connection", new RespConnection(service, metrics, commands, maxPending));
                    }
                });
        try {
            ChannelFuture bound = sb.bind(b.host, b.port).await();
            if (!bound.isSuccess()) {
                throw new IOException(name + ": cannot listen for Redis clients on " + b.host + ":" + b.port + ": "
                        + bound.cause().getMessage(), bound.cause());
            }
            this.serverChannel = bound.channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            loops.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw new InterruptedIOException(name + ": interrupted while binding the Redis port");
        } catch (IOException e) {
            loops.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw e;
        }
        this.localAddress = (InetSocketAddress) serverChannel.localAddress();
        LOG.info("{}: listening for Redis clients on {}", name, localAddress);
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
        return connections.size();
    }

    /**
     * Stops listening, closes every connection and stops the I/O threads. Requests still in flight
     * are not answered; their clients see the connection close. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        serverChannel.close().syncUninterruptibly();
        for (Channel c : connections) {
            c.attr(RespConnection.CLOSED_BY_SERVER).set(Boolean.TRUE);
            c.close();
        }
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
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
