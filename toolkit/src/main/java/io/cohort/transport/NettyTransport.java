package io.cohort.transport;

import io.cohort.group.RecoveryClaim;
import io.cohort.metrics.TransportMetrics;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
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
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * TCP transport between members, on Netty.
 *
 * <ul>
 *   <li><b>One connection per peer pair.</b> Either side may dial; when both did, both keep the
 *       connection dialled by the member with the lower name and close the other.</li>
 *   <li><b>Batching.</b> The protocol thread queues frames per peer and calls {@link #flush()}
 *       once per batch of work; the peer's event loop then packs everything queued into as few
 *       envelopes as the maximum frame size allows, and writes them with one flush.</li>
 *   <li><b>Bounded memory.</b> Each peer's queue holds at most {@code outboundQueueBytes}; beyond,
 *       frames are dropped and counted (the protocol core retransmits what is unacknowledged,
 *       and its flow-control window stops senders long before this under normal load). Netty's
 *       write buffer is bounded by a water mark: draining pauses while a socket is not writable.</li>
 *   <li><b>Reconnection</b> with exponential backoff, on demand: a peer is redialled when there is
 *       something to send to it (heartbeats ensure that for every view member).</li>
 *   <li><b>Addresses</b> travel with HELLO and are passed on to every connected peer, so each
 *       member learns how to reach members it never dialled.</li>
 *   <li><b>Bad input</b> (see {@link RejectReason}) closes the connection, counts
 *       {@code cohort.transport.rejected} and logs the remote address.</li>
 * </ul>
 */
public final class NettyTransport implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NettyTransport.class);
    private static final AttributeKey<PeerIdentity> PEER = AttributeKey.valueOf("cohort.peer");
    private static final AttributeKey<Boolean> DIALED = AttributeKey.valueOf("cohort.dialed");
    private static final AttributeKey<PeerLink> DIALED_FOR = AttributeKey.valueOf("cohort.dialedFor");
    private static final AttributeKey<Boolean> DISCOVER_ON_HELLO = AttributeKey.valueOf("cohort.discover");
    /** Which dial of its dialler a connection is: both ends learn it from HELLO and agree on it. */
    private static final AttributeKey<Long> DIAL_SEQ = AttributeKey.valueOf("cohort.dialSeq");
    private static final long HANDSHAKE_TIMEOUT_MILLIS = 5_000;

    private final TransportSettings settings;
    private final TransportListener listener;
    private final TransportMetrics metrics;
    private final EnvelopeCodec codec;
    private final EventLoopGroup loops;
    private final Bootstrap dialer;
    private final Map<String, PeerLink> links = new ConcurrentHashMap<>();
    private final Map<String, PeerIdentity> addressBook = new ConcurrentHashMap<>();
    /** Each address-book entry's endpoint with its host resolved (compared with seeds). */
    private final Map<String, Endpoint> resolved = new ConcurrentHashMap<>();
    private final Map<Endpoint, Boolean> discoverDials = new ConcurrentHashMap<>();
    private final Set<Channel> pausedReads = ConcurrentHashMap.newKeySet();
    /** Links with frames queued since the last flush; touched by the protocol thread only. */
    private final Set<PeerLink> dirty = new LinkedHashSet<>();
    private final java.util.concurrent.atomic.AtomicLong dials = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicInteger openSockets = new java.util.concurrent.atomic.AtomicInteger();
    private volatile long incarnation;
    private volatile Endpoint advertised;
    private Channel server;

    /**
     * @param settings    transport settings
     * @param incarnation the member's first incarnation
     * @param listener    receives inbound traffic (on I/O threads)
     * @param metrics     meters
     */
    public NettyTransport(TransportSettings settings, long incarnation, TransportListener listener,
                          TransportMetrics metrics) {
        this.settings = settings;
        this.incarnation = incarnation;
        this.listener = listener;
        this.metrics = metrics;
        this.codec = new EnvelopeCodec(settings.clusterName());
        this.loops = new MultiThreadIoEventLoopGroup(settings.ioThreads(),
                new DefaultThreadFactory("cohort-io-" + settings.selfName(), true), NioIoHandler.newFactory());
        this.dialer = new Bootstrap().group(loops).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) settings.connectTimeoutMillis())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, waterMark())
                .handler(initializer(true));
        metrics.gauges(this::queuedBytes, this::connectionCount, openSockets::get);
        metrics.registerRejectionReasons(java.util.Arrays.stream(RejectReason.values()).map(RejectReason::tag).toList());
    }

    private WriteBufferWaterMark waterMark() {
        int high = Math.max(settings.maxFrameBytes(), 4 << 20);
        return new WriteBufferWaterMark(high / 2, high);
    }

    private ChannelInitializer<SocketChannel> initializer(boolean dialed) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.attr(DIALED).set(dialed);
                ch.pipeline().addLast("frames", new LengthFieldBasedFrameDecoder(settings.maxFrameBytes(), 0,
                        EnvelopeCodec.LENGTH_BYTES, 0, EnvelopeCodec.LENGTH_BYTES, true));
                ch.pipeline().addLast("peer", new PeerHandler(NettyTransport.this));
            }
        };
    }

    /**
     * Binds the listening socket.
     *
     * @return the bound address
     * @throws InterruptedException if interrupted while binding
     */
    public InetSocketAddress start() throws InterruptedException {
        ServerBootstrap sb = new ServerBootstrap().group(loops).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, waterMark())
                .childHandler(initializer(false));
        ChannelFuture bound = sb.bind(settings.bindHost(), settings.bindPort()).sync();
        server = bound.channel();
        InetSocketAddress local = (InetSocketAddress) server.localAddress();
        String host = settings.advertisedHost() != null ? settings.advertisedHost() : settings.bindHost();
        advertised = new Endpoint(host, local.getPort());
        return local;
    }

    /** @return where peers dial this member */
    public Endpoint advertised() {
        return advertised;
    }

    // =====================================================================================
    // Called by the protocol thread
    // =====================================================================================

    /**
     * Queues a protocol frame for a peer; it goes out at the next {@link #flush()}.
     *
     * @param peer  the peer's name
     * @param frame the frame
     */
    public void send(String peer, byte[] frame) {
        if (frame.length + EnvelopeCodec.LENGTH_BYTES + EnvelopeCodec.HEADER_BYTES + 8 > settings.maxFrameBytes()) {
            metrics.dropped(TransportMetrics.DropReason.TOO_LARGE);
            LOG.warn("{}: dropped a {}-byte frame for {}: larger than maxFrameBytes={}", settings.selfName(),
                    frame.length, peer, settings.maxFrameBytes());
            return;
        }
        PeerLink link = link(peer);
        if (!link.offer(frame, settings.outboundQueueBytes())) {
            metrics.dropped(TransportMetrics.DropReason.QUEUE_FULL);
            return;
        }
        dirty.add(link);
    }

    /** Starts writing everything queued since the last flush. */
    public void flush() {
        for (PeerLink link : dirty) {
            kick(link);
        }
        dirty.clear();
    }

    /** Starts reading again from connections paused because the receiver was congested. */
    public void resumeReading() {
        if (pausedReads.isEmpty()) {
            return;
        }
        for (Channel ch : List.copyOf(pausedReads)) {
            pausedReads.remove(ch);
            ch.config().setAutoRead(true);
        }
    }

    /**
     * Sends a heartbeat to a peer now (dialling it if needed).
     *
     * @param peer the peer's name
     */
    public void sendHeartbeat(String peer) {
        Channel ch = activeChannel(link(peer));
        if (ch != null) {
            ch.writeAndFlush(control(EnvelopeKind.HEARTBEAT, 0));
        } else {
            maybeDial(link(peer));
        }
    }

    /**
     * Asks the process at a seed address whether there is a group; the answer comes to
     * {@link TransportListener#onDiscoverReply}.
     *
     * @param seed the address
     */
    public void discover(Endpoint seed) {
        String name = nameAt(seed);
        Channel ch = name == null ? null : activeChannel(link(name));
        if (ch != null) {
            ch.writeAndFlush(control(EnvelopeKind.DISCOVER, 0));
            return;
        }
        if (discoverDials.putIfAbsent(seed, Boolean.TRUE) != null) {
            return;
        }
        dial(seed).addListener((ChannelFuture f) -> {
            if (f.isSuccess()) {
                f.channel().attr(DISCOVER_ON_HELLO).set(true);
                f.channel().closeFuture().addListener(c -> discoverDials.remove(seed));
            } else {
                discoverDials.remove(seed);
                metrics.connectFailed();
            }
        });
    }

    private static RecoveryClaim readClaim(ByteBuf buf) throws EnvelopeRejectedException {
        long lastViewId = EnvelopeCodec.readLong(buf);
        long position = EnvelopeCodec.readLong(buf);
        int n = EnvelopeCodec.readInt(buf);
        if (lastViewId < 0 || position < 0 || n < 0 || n > RecoveryClaim.MAX_MEMBERS) {
            throw new EnvelopeRejectedException(RejectReason.MALFORMED,
                    "recovery claim " + lastViewId + "/" + position + " with " + n + " members");
        }
        List<String> members = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            members.add(EnvelopeCodec.readString(buf));
        }
        return new RecoveryClaim(lastViewId, position, members);
    }

    /**
     * Answers a {@link TransportListener#onDiscover}.
     *
     * @param peer   the asker's name
     * @param status this member's status
     * @param viewId its view id, 0 without a view
     * @param backs  the seed this member backs to start a group, or null
     * @param claim  what this member holds on disk, for a restart after a total failure
     */
    public void sendDiscoverReply(String peer, DiscoveryStatus status, long viewId, Endpoint backs, RecoveryClaim claim) {
        Channel ch = activeChannel(link(peer));
        if (ch != null) {
            ByteBuf buf = codec.begin(ch.alloc(), EnvelopeKind.DISCOVER_REPLY, 64);
            buf.writeByte(status.ordinal());
            buf.writeLong(viewId);
            EnvelopeCodec.writeString(buf, backs == null ? "" : backs.host());
            buf.writeInt(backs == null ? 0 : backs.port());
            buf.writeLong(claim.lastViewId());
            buf.writeLong(claim.position());
            buf.writeInt(claim.lastViewMembers().size());
            for (String member : claim.lastViewMembers()) {
                EnvelopeCodec.writeString(buf, member);
            }
            ch.writeAndFlush(codec.finish(buf));
        }
    }

    /**
     * The member continues as a new incarnation: peers are told on every open connection.
     *
     * @param newIncarnation the new incarnation
     */
    public void announceIncarnation(long newIncarnation) {
        this.incarnation = newIncarnation;
        for (PeerLink link : links.values()) {
            Channel ch = activeChannel(link);
            if (ch != null) {
                ch.writeAndFlush(hello(ch));
            }
        }
    }

    /**
     * Forgets a peer that left the group for good (frees its queue).
     *
     * @param peer the peer's name
     */
    public void forget(String peer) {
        PeerLink link = links.get(peer);
        if (link != null) {
            link.clear();
        }
    }

    /** @return names of every member whose address this member knows */
    public List<String> knownPeers() {
        return List.copyOf(addressBook.keySet());
    }

    /**
     * @param seed a seed address, normalized ({@link Endpoint#normalized()})
     * @return the name of the member known to listen there, or null
     */
    public String nameAt(Endpoint seed) {
        for (PeerIdentity p : addressBook.values()) {
            if (p.endpoint().equals(seed) || seed.equals(resolved.get(p.name()))) {
                return p.name();
            }
        }
        return null;
    }

    // =====================================================================================
    // Connection management
    // =====================================================================================

    private PeerLink link(String name) {
        return links.computeIfAbsent(name, n -> new PeerLink(n, settings.backoffMinMillis()));
    }

    private static Channel activeChannel(PeerLink link) {
        synchronized (link) {
            return link.channel != null && link.channel.isActive() ? link.channel : null;
        }
    }

    private void kick(PeerLink link) {
        Channel ch = null;
        synchronized (link) {
            if (link.channel != null && link.channel.isActive()) {
                if (!link.drainScheduled) {
                    link.drainScheduled = true;
                    ch = link.channel;
                }
            }
        }
        if (ch != null) {
            Channel target = ch;
            target.eventLoop().execute(() -> drain(link, target));
        } else if (activeChannel(link) == null) {
            maybeDial(link);
        }
    }

    private void maybeDial(PeerLink link) {
        PeerIdentity known = addressBook.get(link.name);
        if (known == null || server == null) {
            return;
        }
        synchronized (link) {
            if (link.dialing || (link.channel != null && link.channel.isActive())
                    || System.nanoTime() - link.nextDialNanos < 0) {
                return;
            }
            link.dialing = true;
        }
        Endpoint ep = known.endpoint();
        dial(ep).addListener((ChannelFuture f) -> {
            if (f.isSuccess()) {
                f.channel().attr(DIALED_FOR).set(link);
            } else {
                metrics.connectFailed();
                dialFailed(link);
            }
        });
    }

    private ChannelFuture dial(Endpoint ep) {
        return dialer.clone().attr(DIAL_SEQ, dials.incrementAndGet()).connect(ep.host(), ep.port());
    }

    private void dialFailed(PeerLink link) {
        synchronized (link) {
            link.dialing = false;
            link.nextDialNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(link.backoffMillis);
            link.backoffMillis = Math.min(settings.backoffMaxMillis(), link.backoffMillis * 2);
        }
    }

    /** Writes what is queued for the peer, as far as the socket accepts it. Runs on the channel's event loop. */
    private void drain(PeerLink link, Channel ch) {
        boolean swapped;
        synchronized (link) {
            link.drainScheduled = false;
            swapped = link.channel != ch;
        }
        if (swapped) {
            // The connection was replaced after this drain was scheduled; the new one's kick was
            // skipped because this drain was pending, so hand the queue over now.
            if (link.hasQueued()) {
                kick(link);
            }
            return;
        }
        int budget = settings.maxFrameBytes() - EnvelopeCodec.HEADER_BYTES - EnvelopeCodec.LENGTH_BYTES - 4;
        boolean wrote = false;
        while (ch.isWritable()) {
            List<byte[]> batch = link.take(budget);
            if (batch.isEmpty()) {
                break;
            }
            int size = 4;
            for (byte[] f : batch) {
                size += 4 + f.length;
            }
            ByteBuf buf = codec.begin(ch.alloc(), EnvelopeKind.FRAMES, size);
            buf.writeInt(batch.size());
            for (byte[] f : batch) {
                buf.writeInt(f.length);
                buf.writeBytes(f);
            }
            codec.finish(buf);
            metrics.sent(buf.readableBytes());
            ch.write(buf, ch.voidPromise());
            wrote = true;
        }
        if (wrote) {
            ch.flush();
        }
    }

    // =====================================================================================
    // Inbound, called by PeerHandler on the channel's event loop
    // =====================================================================================

    void channelActive(Channel ch) {
        openSockets.incrementAndGet();
        if (advertised == null) {
            // Accepted in the instant between bind and start() returning: the peer will redial.
            ch.close();
            return;
        }
        ch.writeAndFlush(hello(ch));
        ch.eventLoop().schedule(() -> {
            if (ch.isActive() && ch.attr(PEER).get() == null) {
                reject(ch, RejectReason.HANDSHAKE_TIMEOUT, "no HELLO within " + HANDSHAKE_TIMEOUT_MILLIS + " ms");
            }
        }, HANDSHAKE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    }

    void channelInactive(Channel ch) {
        openSockets.decrementAndGet();
        PeerIdentity peer = ch.attr(PEER).get();
        PeerLink dialedFor = ch.attr(DIALED_FOR).get();
        if (peer != null) {
            PeerLink link = links.get(peer.name());
            if (link != null) {
                synchronized (link) {
                    if (link.channel == ch) {
                        link.channel = null;
                        LOG.debug("{}: connection to {} closed", settings.selfName(), peer.name());
                    }
                }
            }
        }
        if (dialedFor != null) {
            boolean failed;
            synchronized (dialedFor) {
                failed = dialedFor.channel != ch && dialedFor.dialing;
            }
            if (failed) {
                dialFailed(dialedFor);
            }
        }
    }

    void writable(Channel ch) {
        PeerIdentity peer = ch.attr(PEER).get();
        if (peer != null && ch.isWritable()) {
            PeerLink link = links.get(peer.name());
            if (link != null && link.hasQueued()) {
                kick(link);
            }
        }
    }

    void envelope(Channel ch, ByteBuf buf) throws EnvelopeRejectedException {
        int size = buf.readableBytes() + EnvelopeCodec.LENGTH_BYTES;
        EnvelopeKind kind = codec.open(buf);
        PeerIdentity peer = ch.attr(PEER).get();
        if (kind == EnvelopeKind.HELLO) {
            metrics.received(size);
            PeerIdentity id = readIdentity(buf);
            long dialSeq = EnvelopeCodec.readLong(buf);
            if (!Boolean.TRUE.equals(ch.attr(DIALED).get())) {
                ch.attr(DIAL_SEQ).set(dialSeq);
            }
            hello(ch, id);
            return;
        }
        if (peer == null) {
            throw new EnvelopeRejectedException(RejectReason.UNEXPECTED, kind + " before HELLO");
        }
        metrics.received(size);
        listener.onAlive(peer);
        switch (kind) {
            case FRAMES -> {
                if (!listener.onFrames(peer, readFrames(buf))) {
                    ch.config().setAutoRead(false);
                    pausedReads.add(ch);
                }
            }
            case HEARTBEAT -> {
            }
            case DISCOVER -> listener.onDiscover(peer);
            case DISCOVER_REPLY -> {
                int status = EnvelopeCodec.readByte(buf);
                if (status < 0 || status >= DiscoveryStatus.values().length) {
                    throw new EnvelopeRejectedException(RejectReason.MALFORMED, "discovery status " + status);
                }
                long viewId = EnvelopeCodec.readLong(buf);
                String backsHost = EnvelopeCodec.readString(buf);
                int backsPort = EnvelopeCodec.readInt(buf);
                if (backsPort < 0 || backsPort > 65535) {
                    throw new EnvelopeRejectedException(RejectReason.MALFORMED, "backed port " + backsPort);
                }
                listener.onDiscoverReply(peer, DiscoveryStatus.values()[status], viewId,
                        backsHost.isEmpty() ? null : new Endpoint(backsHost, backsPort), readClaim(buf));
            }
            case ADDRESSES -> {
                int n = EnvelopeCodec.readInt(buf);
                if (n < 0 || n > 65_536) {
                    throw new EnvelopeRejectedException(RejectReason.MALFORMED, n + " addresses");
                }
                for (int i = 0; i < n; i++) {
                    learn(readIdentity(buf), ch);
                }
            }
            default -> throw new EnvelopeRejectedException(RejectReason.UNEXPECTED, "a second " + kind);
        }
    }

    private static List<byte[]> readFrames(ByteBuf buf) throws EnvelopeRejectedException {
        int n = EnvelopeCodec.readInt(buf);
        if (n < 0 || n > buf.readableBytes() / 4) {
            throw new EnvelopeRejectedException(RejectReason.MALFORMED, n + " frames in " + buf.readableBytes() + " bytes");
        }
        List<byte[]> frames = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            byte[] f = new byte[EnvelopeCodec.readLength(buf, 4)];
            buf.readBytes(f);
            frames.add(f);
        }
        if (buf.isReadable()) {
            throw new EnvelopeRejectedException(RejectReason.MALFORMED, buf.readableBytes() + " trailing bytes");
        }
        return frames;
    }

    private static PeerIdentity readIdentity(ByteBuf buf) throws EnvelopeRejectedException {
        String name = EnvelopeCodec.readString(buf);
        long inc = EnvelopeCodec.readLong(buf);
        String host = EnvelopeCodec.readString(buf);
        int port = EnvelopeCodec.readInt(buf);
        if (name.isEmpty() || inc < 1 || port < 1 || port > 65535) {
            throw new EnvelopeRejectedException(RejectReason.MALFORMED, "bad identity " + name + "#" + inc
                    + " at " + host + ":" + port);
        }
        return new PeerIdentity(name, inc, new Endpoint(host, port));
    }

    private void hello(Channel ch, PeerIdentity peer) throws EnvelopeRejectedException {
        if (peer.name().equals(settings.selfName())) {
            throw new EnvelopeRejectedException(RejectReason.UNEXPECTED, "a HELLO with this member's own name");
        }
        PeerIdentity before = ch.attr(PEER).get();
        if (before != null && !before.name().equals(peer.name())) {
            throw new EnvelopeRejectedException(RejectReason.UNEXPECTED, "HELLO from " + peer.name()
                    + " on the connection of " + before.name());
        }
        ch.attr(PEER).set(peer);
        listener.onAlive(peer);
        boolean fresh = before == null;
        PeerLink dialedFor = ch.attr(DIALED_FOR).get();
        if (fresh && dialedFor != null && !dialedFor.name.equals(peer.name())) {
            // The address we dialled for one member now belongs to another: that dial failed.
            ch.attr(DIALED_FOR).set(null);
            dialFailed(dialedFor);
        }
        if (fresh) {
            register(ch, peer);
            sendAddressBook(ch);
            if (Boolean.TRUE.equals(ch.attr(DISCOVER_ON_HELLO).get())) {
                ch.writeAndFlush(control(EnvelopeKind.DISCOVER, 0));
            }
        } else {
            PeerLink link = link(peer.name());
            synchronized (link) {
                if (link.channel == ch) {
                    link.incarnation = peer.incarnation();
                }
            }
        }
        learn(peer, ch);
    }

    /** Makes {@code ch} the peer's connection, unless a preferred one exists (then {@code ch} is closed). */
    private void register(Channel ch, PeerIdentity peer) {
        PeerLink link = link(peer.name());
        Channel loser = null;
        boolean drain;
        synchronized (link) {
            Channel existing = link.channel;
            if (existing != null && existing.isActive() && existing != ch) {
                if (peer.incarnation() < link.incarnation) {
                    loser = ch;
                } else if (peer.incarnation() == link.incarnation && !prefer(ch, existing, peer.name())) {
                    loser = ch;
                } else {
                    loser = existing;
                }
            }
            if (loser != ch) {
                link.channel = ch;
                link.incarnation = peer.incarnation();
                link.dialing = false;
                link.backoffMillis = settings.backoffMinMillis();
                link.nextDialNanos = 0;
            }
            drain = loser != ch && link.hasQueued();
        }
        if (loser != null) {
            LOG.debug("{}: two connections with {}; closing the one dialled by {}", settings.selfName(), peer.name(),
                    dialer(loser, peer.name()));
            loser.close();
        }
        if (loser != ch) {
            metrics.connectionOpened();
            LOG.debug("{}: connected to {}#{} at {}", settings.selfName(), peer.name(), peer.incarnation(),
                    peer.endpoint());
        }
        if (drain) {
            kick(link);
        }
    }

    /**
     * True if {@code candidate} should replace {@code existing}: keep the one dialled by the lower
     * name; between two dials of the same member, the later dial. Both ends see the same dialler
     * names and dial numbers, so both keep the same connection.
     */
    private boolean prefer(Channel candidate, Channel existing, String peerName) {
        String c = dialer(candidate, peerName);
        String e = dialer(existing, peerName);
        if (c.equals(e)) {
            return dialSeq(candidate) > dialSeq(existing);
        }
        return c.compareTo(e) < 0;
    }

    private static long dialSeq(Channel ch) {
        Long seq = ch.attr(DIAL_SEQ).get();
        return seq == null ? 0 : seq;
    }

    private String dialer(Channel ch, String peerName) {
        return Boolean.TRUE.equals(ch.attr(DIALED).get()) ? settings.selfName() : peerName;
    }

    /** Records a peer's address; news is passed on to every connected peer but the one it came from. */
    private void learn(PeerIdentity peer, Channel from) {
        if (peer.name().equals(settings.selfName())) {
            return;
        }
        boolean[] changed = {false};
        addressBook.compute(peer.name(), (n, old) -> {
            if (old == null || old.incarnation() < peer.incarnation()
                    || (old.incarnation() == peer.incarnation() && !old.endpoint().equals(peer.endpoint()))) {
                changed[0] = true;
                return peer;
            }
            return old;
        });
        if (!changed[0]) {
            return;
        }
        // Resolved once, here on an I/O thread, so that the protocol thread never waits on DNS.
        resolved.put(peer.name(), peer.endpoint().normalized());
        for (PeerLink link : links.values()) {
            Channel ch = activeChannel(link);
            if (ch != null && ch != from) {
                ch.writeAndFlush(addresses(ch, List.of(peer)));
            }
        }
        PeerLink link = links.get(peer.name());
        if (link != null && link.hasQueued()) {
            kick(link);
        }
    }

    private void sendAddressBook(Channel ch) {
        List<PeerIdentity> all = new ArrayList<>(addressBook.values());
        if (!all.isEmpty()) {
            ch.writeAndFlush(addresses(ch, all));
        }
    }

    void reject(Channel ch, RejectReason reason, String detail) {
        metrics.rejected(reason.tag());
        PeerIdentity peer = ch.attr(PEER).get();
        LOG.warn("{}: rejected input from {}{}: {}; closing the connection", settings.selfName(), ch.remoteAddress(),
                peer == null ? "" : " (" + peer.name() + "#" + peer.incarnation() + ")", detail);
        ch.close();
    }

    // =====================================================================================
    // Envelope builders
    // =====================================================================================

    private ByteBuf control(EnvelopeKind kind, int body) {
        return codec.finish(codec.begin(io.netty.buffer.ByteBufAllocator.DEFAULT, kind, body));
    }

    private ByteBuf hello(Channel ch) {
        ByteBuf buf = codec.begin(ch.alloc(), EnvelopeKind.HELLO, 72);
        writeIdentity(buf, new PeerIdentity(settings.selfName(), incarnation, advertised));
        buf.writeLong(Boolean.TRUE.equals(ch.attr(DIALED).get()) ? dialSeq(ch) : 0);
        return codec.finish(buf);
    }

    private ByteBuf addresses(Channel ch, List<PeerIdentity> peers) {
        ByteBuf buf = codec.begin(ch.alloc(), EnvelopeKind.ADDRESSES, 64 * peers.size());
        buf.writeInt(peers.size());
        for (PeerIdentity p : peers) {
            writeIdentity(buf, p);
        }
        return codec.finish(buf);
    }

    private static void writeIdentity(ByteBuf buf, PeerIdentity p) {
        EnvelopeCodec.writeString(buf, p.name());
        buf.writeLong(p.incarnation());
        EnvelopeCodec.writeString(buf, p.endpoint().host());
        buf.writeInt(p.endpoint().port());
    }

    // =====================================================================================
    // Gauges and shutdown
    // =====================================================================================

    private long queuedBytes() {
        long sum = 0;
        for (PeerLink l : links.values()) {
            sum += l.queuedBytes();
        }
        return sum;
    }

    private int connectionCount() {
        int n = 0;
        for (PeerLink l : links.values()) {
            if (activeChannel(l) != null) {
                n++;
            }
        }
        return n;
    }

    /** Closes every connection and stops the event loops. */
    @Override
    public void close() {
        if (server != null) {
            server.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        }
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
