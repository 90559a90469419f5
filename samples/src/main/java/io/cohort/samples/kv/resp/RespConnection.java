package io.cohort.samples.kv.resp;

import io.cohort.samples.kv.KeyValueStore;
import io.cohort.samples.kv.KvCommand;
import io.cohort.samples.kv.Resp;
import io.cohort.transport.TcpServer;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * One Redis client connection: turns decoded requests into commands, queries and connection
 * commands, and writes the replies back in request order, as Redis does for pipelined requests.
 *
 * <p>Pipelining keeps Redis's meaning: each request sees the effect of the ones before it on the
 * same connection. Consecutive writes are all in flight at once (the replicated log keeps one
 * replica's commands in the order it sent them), and so are consecutive reads; but a read waits
 * until the writes before it are answered, and a write waits for the reads before it, so that a
 * pipelined {@code SET k v; GET k} always reads {@code v}.
 *
 * <p>Runs on the connection's I/O thread; answers arriving from the replica are handed back to it.
 * Back-pressure: beyond {@code maxPending} unanswered requests, or while the client does not read
 * its replies, the connection stops reading until it drains.
 */
final class RespConnection extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(RespConnection.class);

    /** One request, from arrival until its reply is written. */
    private static final class Pending {
        final CommandTable.Route route;
        final byte[] payload;
        final long arrivedNanos;
        byte[] reply;
        boolean closeAfter;

        Pending(CommandTable.Route route, byte[] payload, long arrivedNanos) {
            this.route = route;
            this.payload = payload;
            this.arrivedNanos = arrivedNanos;
        }
    }

    private final KvService service;
    private final RespMetrics metrics;
    private final ConnectionCommands connectionCommands;
    private final int maxPending;
    /** Every request not yet written back, in arrival order. */
    private final ArrayDeque<Pending> unanswered = new ArrayDeque<>();
    /** Requests held back until the in-flight requests of the other route are answered. */
    private final ArrayDeque<Pending> held = new ArrayDeque<>();
    private KvService.Session session;
    private ChannelHandlerContext ctx;
    private CommandTable.Route inFlightRoute;
    private int inFlight;
    /** A QUIT or a protocol error was read: everything after it is ignored. */
    private boolean closing;
    private RespMetrics.CloseReason closeReason = RespMetrics.CloseReason.CLIENT;

    RespConnection(KvService service, RespMetrics metrics, ConnectionCommands connectionCommands, int maxPending) {
        this.service = service;
        this.metrics = metrics;
        this.connectionCommands = connectionCommands;
        this.maxPending = maxPending;
    }

    @Override
    public void channelActive(ChannelHandlerContext context) throws Exception {
        this.ctx = context;
        this.session = service.openSession();
        metrics.accepted();
        super.channelActive(context);
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) throws Exception {
        metrics.closed(Boolean.TRUE.equals(context.channel().attr(TcpServer.CLOSED_BY_SERVER).get())
                ? RespMetrics.CloseReason.SERVER : closeReason);
        if (session != null) {
            session.close();
        }
        unanswered.clear();
        held.clear();
        super.channelInactive(context);
    }

    @Override
    public void channelRead(ChannelHandlerContext context, Object msg) {
        try {
            if (closing) {
                return; // after QUIT or a protocol error, like Redis: nothing more is read
            }
            long now = System.nanoTime();
            if (msg instanceof RespDecoder.ProtocolError error) {
                LOG.debug("{}: protocol error from {}: {}", context.channel().localAddress(),
                        context.channel().remoteAddress(), error.message());
                Pending p = new Pending(CommandTable.Route.CONNECTION, null, now);
                answer(p, error.reply());
                p.closeAfter = true;
                closing = true;
                closeReason = RespMetrics.CloseReason.PROTOCOL_ERROR;
                unanswered.add(p);
                writeReady();
            } else if (msg instanceof KvCommand command) {
                accept(command, now);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext context) {
        updateReading();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext context) throws Exception {
        updateReading();
        super.channelWritabilityChanged(context);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
        if (cause instanceof IOException) {
            LOG.debug("{}: connection from {} failed: {}", context.channel().localAddress(),
                    context.channel().remoteAddress(), cause.toString());
        } else {
            LOG.warn("{}: closing connection from {} after an unexpected error", context.channel().localAddress(),
                    context.channel().remoteAddress(), cause);
        }
        closeReason = RespMetrics.CloseReason.IO_ERROR;
        context.close();
    }

    private void accept(KvCommand command, long now) {
        CommandTable.Spec spec = CommandTable.find(command.name());
        if (spec == null) {
            // Never logged: a command the store does not know has nothing to replicate.
            Pending p = new Pending(CommandTable.Route.CONNECTION, null, now);
            unanswered.add(p);
            answer(p, KeyValueStore.unknown(command));
            writeReady();
            return;
        }
        metrics.request(spec.route());
        if (!CommandTable.arityFits(spec, command.arity())) {
            Pending p = new Pending(CommandTable.Route.CONNECTION, null, now);
            unanswered.add(p);
            answer(p, Resp.error("ERR wrong number of arguments for '" + command.text(0).toLowerCase(java.util.Locale.ROOT)
                    + "' command"));
            writeReady();
            return;
        }
        if (spec.route() == CommandTable.Route.CONNECTION) {
            Pending p = new Pending(CommandTable.Route.CONNECTION, null, now);
            unanswered.add(p);
            ConnectionCommands.Outcome outcome = connectionCommands.execute(command);
            answer(p, outcome.reply());
            if (outcome.close()) {
                p.closeAfter = true;
                closing = true;
                closeReason = RespMetrics.CloseReason.QUIT;
            }
            writeReady();
            return;
        }
        Pending p = new Pending(spec.route(), command.encode(), now);
        unanswered.add(p);
        if (held.isEmpty() && (inFlight == 0 || inFlightRoute == p.route)) {
            start(p);
        } else {
            held.add(p);
        }
    }

    private void start(Pending p) {
        inFlight++;
        inFlightRoute = p.route;
        CompletableFuture<byte[]> reply = p.route == CommandTable.Route.WRITE ? session.command(p.payload)
                : session.query(p.payload);
        reply.whenComplete((r, e) -> {
            if (ctx.executor().inEventLoop()) {
                completed(p, r, e);
            } else {
                ctx.executor().execute(() -> completed(p, r, e));
            }
        });
    }

    private void completed(Pending p, byte[] reply, Throwable failure) {
        if (!ctx.channel().isActive()) {
            return;
        }
        inFlight--;
        metrics.answered(p.route, System.nanoTime() - p.arrivedNanos);
        if (failure != null) {
            LOG.warn("{}: a request failed inside the server", ctx.channel().localAddress(), failure);
            answer(p, Resp.error("ERR internal error: " + Resp.printable(String.valueOf(failure.getMessage()))));
        } else {
            answer(p, reply);
        }
        while (!held.isEmpty() && (inFlight == 0 || held.peek().route == inFlightRoute)) {
            start(held.poll());
        }
        writeReady();
        updateReading();
    }

    private void answer(Pending p, byte[] reply) {
        p.reply = reply;
        metrics.errorReply(reply);
    }

    /** Writes every reply at the head of the queue that is ready, in order, with one flush. */
    private void writeReady() {
        boolean wrote = false;
        while (!unanswered.isEmpty() && unanswered.peek().reply != null) {
            Pending p = unanswered.poll();
            if (p.closeAfter) {
                ctx.writeAndFlush(Unpooled.wrappedBuffer(p.reply)).addListener(ChannelFutureListener.CLOSE);
                unanswered.clear();
                held.clear();
                return;
            }
            ctx.write(Unpooled.wrappedBuffer(p.reply), ctx.voidPromise());
            wrote = true;
        }
        if (wrote) {
            ctx.flush();
        }
    }

    /** Reads while there is room for more requests and the client reads its replies. */
    private void updateReading() {
        boolean room = unanswered.size() < maxPending && ctx.channel().isWritable();
        if (ctx.channel().config().isAutoRead() != room) {
            ctx.channel().config().setAutoRead(room);
        }
    }
}
