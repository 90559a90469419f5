package io.cohort.transport;

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
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A TCP server for clients (not peers): its own Netty I/O threads, the set of open connections,
 * binding with a clear error, and a close that stops listening, closes every connection and stops
 * the threads. What each connection does is the caller's pipeline. Used by the Cohort client
 * server and by the key-value sample's Redis protocol server.
 *
 * <pre>{@code
 * TcpServer server = new TcpServer("cohort-client-io-m1", 1, 1 << 20);
 * server.bind("127.0.0.1", 7700, "clients", ch -> ch.pipeline().addLast(new MyHandler()));
 * }</pre>
 */
public final class TcpServer implements AutoCloseable {

    /**
     * Set to {@code TRUE} on each connection the server closes as it stops, before closing it, so
     * that a handler can tell that close from one by the client.
     */
    public static final AttributeKey<Boolean> CLOSED_BY_SERVER = AttributeKey.valueOf("cohort.tcpServer.closedByServer");

    private final EventLoopGroup loops;
    private final int highWaterMark;
    private final Set<Channel> connections = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Channel serverChannel;

    /**
     * Starts the I/O threads; nothing listens until {@link #bind}.
     *
     * @param threadName    prefix of the I/O threads' names (daemon threads)
     * @param ioThreads     number of I/O threads
     * @param highWaterMark bytes queued for one connection beyond which it reports itself not
     *                      writable (the low mark is half), so a handler can stop reading from a
     *                      client that does not read its replies
     */
    public TcpServer(String threadName, int ioThreads, int highWaterMark) {
        this.loops = new MultiThreadIoEventLoopGroup(ioThreads, new DefaultThreadFactory(threadName, true),
                NioIoHandler.newFactory());
        this.highWaterMark = highWaterMark;
    }

    /**
     * Listens. On failure the I/O threads are stopped and the server is unusable.
     *
     * @param host        address to listen on
     * @param port        port, 0 for any free one
     * @param what        what is served, for the error message ("clients", "Redis clients")
     * @param initializer sets up each accepted connection's pipeline (on its I/O thread)
     * @return the address bound (with the real port)
     * @throws IOException if the port cannot be bound
     */
    public InetSocketAddress bind(String host, int port, String what, Consumer<SocketChannel> initializer)
            throws IOException {
        ServerBootstrap sb = new ServerBootstrap().group(loops).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(highWaterMark / 2, highWaterMark))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.add(ch);
                        ch.closeFuture().addListener(f -> connections.remove(ch));
                        initializer.accept(ch);
                    }
                });
        try {
            ChannelFuture bound = sb.bind(host, port).await();
            if (!bound.isSuccess()) {
                stopThreads();
                throw new IOException("cannot listen for " + what + " on " + host + ":" + port + ": "
                        + bound.cause().getMessage(), bound.cause());
            }
            serverChannel = bound.channel();
            return (InetSocketAddress) serverChannel.localAddress();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopThreads();
            throw new InterruptedIOException("interrupted while binding " + host + ":" + port);
        }
    }

    /** @return the number of open connections */
    public int connectionCount() {
        return connections.size();
    }

    /**
     * Stops listening, marks and closes every connection ({@link #CLOSED_BY_SERVER}) and stops the
     * I/O threads, waiting a few seconds at most. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        Channel listening = serverChannel;
        if (listening != null) {
            listening.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        }
        for (Channel ch : List.copyOf(connections)) {
            ch.attr(CLOSED_BY_SERVER).set(Boolean.TRUE);
            ch.close();
        }
        stopThreads();
    }

    private void stopThreads() {
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
