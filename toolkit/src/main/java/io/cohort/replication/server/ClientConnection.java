package io.cohort.replication.server;

import io.cohort.replication.wire.ClientFrameCodec;
import io.cohort.replication.wire.ClientRequest;
import io.cohort.replication.wire.ClientRequestHandler;
import io.cohort.replication.wire.ClientResponse;
import io.cohort.replication.wire.MalformedClientFrameException;
import io.cohort.replication.wire.ResponseStatus;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;

/**
 * One client connection: decodes requests, passes them to the {@link ClientRequestHandler} and
 * writes each response when its future completes, in whatever order they complete (the client
 * matches responses by sequence).
 *
 * <p>Every field is touched on the channel's event loop only; completions from other threads are
 * handed over with {@code execute}. That is why the in-flight count needs no synchronisation.
 *
 * <p>Back-pressure: at most {@code maxInFlight} requests are with the handler at a time. When the
 * limit is reached the connection stops reading; requests already read from the socket in the same
 * batch wait here (so the bound is strict), and reading resumes once fewer than half the limit are
 * in flight. Reading also pauses while the socket is not writable, so that a client that sends
 * but does not read cannot make responses pile up in this process.
 */
final class ClientConnection extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(ClientConnection.class);

    private final ClientServer server;
    private final ClientRequestHandler handler;
    private final ClientServerMetrics metrics;
    private final int maxFrameBytes;
    private final int maxInFlight;
    private final int resumeBelow;
    /** Requests read while the handler already had {@code maxInFlight}. */
    private final ArrayDeque<ClientRequest> waiting = new ArrayDeque<>();
    private Channel channel;
    private int inFlight;
    private boolean pausedForInFlight;
    private boolean flushScheduled;
    private boolean draining;
    /** Set once bad input was seen: frames still buffered from the same read are ignored. */
    private boolean rejected;

    ClientConnection(ClientServer server, ClientRequestHandler handler, ClientServerMetrics metrics,
                     int maxFrameBytes, int maxInFlight) {
        this.server = server;
        this.handler = handler;
        this.metrics = metrics;
        this.maxFrameBytes = maxFrameBytes;
        this.maxInFlight = maxInFlight;
        this.resumeBelow = Math.max(1, maxInFlight / 2);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        waiting.clear();
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        try {
            if (rejected || !channel.isActive()) {
                return;
            }
            ClientRequest request = ClientFrameCodec.decodeRequest(frame, maxFrameBytes);
            metrics.request(request.kind());
            if (inFlight >= maxInFlight || !waiting.isEmpty()) {
                waiting.add(request);
            } else {
                dispatch(request);
            }
            updateAutoRead();
        } catch (MalformedClientFrameException e) {
            reject(e.getMessage());
        } finally {
            frame.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // Responses completed synchronously during the read go out with one flush.
        if (flushScheduled) {
            flushScheduled = false;
            channel.flush();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        updateAutoRead();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException || cause instanceof CorruptedFrameException) {
            // The frame decoder fails fast on the length header: nothing of that size is allocated.
            reject("bad length header: " + cause.getMessage());
        } else if (cause instanceof DecoderException) {
            reject(String.valueOf(cause.getMessage()));
        } else if (cause instanceof IOException) {
            LOG.debug("{}: client connection {} failed: {}", server.name(), channel.remoteAddress(), cause.toString());
            ctx.close();
        } else {
            LOG.warn("{}: unexpected error on client connection {}; closing it", server.name(),
                    channel.remoteAddress(), cause);
            ctx.close();
        }
    }

    private void reject(String reason) {
        if (rejected) {
            return;
        }
        rejected = true;
        metrics.malformed();
        LOG.warn("{}: malformed input from client {}: {}; closing the connection", server.name(),
                channel.remoteAddress(), reason);
        channel.close();
    }

    // =====================================================================================
    // Requests and responses
    // =====================================================================================

    private void dispatch(ClientRequest request) {
        inFlight++;
        CompletableFuture<ClientResponse> future;
        try {
            future = handler.handle(request);
        } catch (RejectedExecutionException e) {
            // The replica is shutting down or saturated: nothing was started, another replica can do it.
            respond(request, null, e);
            return;
        } catch (RuntimeException e) {
            LOG.warn("{}: the request handler threw on {} #{} of client {}", server.name(), request.kind(),
                    request.sequence(), request.clientId(), e);
            respond(request, ClientResponse.failure(request, ResponseStatus.REJECTED, 0,
                    "the replica refused the request: " + e), null);
            return;
        }
        if (future == null) {
            respond(request, null, new IllegalStateException("the request handler returned no future"));
            return;
        }
        future.whenComplete((response, error) -> respond(request, response, error));
    }

    /** Called on any thread when a request's outcome is known; the write happens on the event loop. */
    private void respond(ClientRequest request, ClientResponse response, Throwable error) {
        ClientResponse settled = settle(request, response, error);
        if (channel.eventLoop().inEventLoop()) {
            answered(settled);
        } else {
            try {
                channel.eventLoop().execute(() -> answered(settled));
            } catch (RejectedExecutionException e) {
                LOG.debug("{}: response to client {} #{} dropped: the server is closed", server.name(),
                        request.clientId(), request.sequence());
            }
        }
    }

    /**
     * Turns whatever the handler produced into a response for this request: an exceptional or null
     * completion is answered RETRY (the replica failed while handling it, and the session table
     * makes a retry elsewhere safe); a response for another request is a replica bug, refused.
     */
    private ClientResponse settle(ClientRequest request, ClientResponse response, Throwable error) {
        if (error != null) {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            return ClientResponse.failure(request, ResponseStatus.RETRY, 0,
                    "the replica failed while handling the request: " + cause);
        }
        if (response == null) {
            return ClientResponse.failure(request, ResponseStatus.RETRY, 0,
                    "the replica failed while handling the request: no response");
        }
        if (response.clientId() != request.clientId() || response.sequence() != request.sequence()) {
            LOG.warn("{}: the request handler answered client {} #{} for client {} #{}", server.name(),
                    response.clientId(), response.sequence(), request.clientId(), request.sequence());
            return ClientResponse.failure(request, ResponseStatus.REJECTED, 0,
                    "replica bug: response for another request");
        }
        return response;
    }

    private void answered(ClientResponse response) {
        inFlight--;
        if (channel.isActive()) {
            write(response);
        }
        drainWaiting();
        updateAutoRead();
    }

    /**
     * Passes waiting requests to the handler while there is room. A handler that answers at once
     * re-enters here through {@link #answered}; the flag turns that recursion into this one loop.
     */
    private void drainWaiting() {
        if (draining) {
            return;
        }
        draining = true;
        try {
            while (inFlight < maxInFlight && !waiting.isEmpty()) {
                dispatch(waiting.poll());
            }
        } finally {
            draining = false;
        }
    }

    private void write(ClientResponse response) {
        ByteBuf frame;
        ClientResponse sent = response;
        try {
            frame = ClientFrameCodec.encodeResponse(channel.alloc(), response, maxFrameBytes);
        } catch (IllegalArgumentException e) {
            LOG.warn("{}: cannot send the response to client {} #{}: {}", server.name(), response.clientId(),
                    response.sequence(), e.getMessage());
            sent = new ClientResponse(response.clientId(), response.sequence(), ResponseStatus.REJECTED, 0,
                    ("the replica could not send its response: " + e.getMessage())
                            .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            frame = ClientFrameCodec.encodeResponse(channel.alloc(), sent, maxFrameBytes);
        }
        metrics.response(sent.status());
        channel.write(frame, channel.voidPromise());
        scheduleFlush();
    }

    /**
     * Flushes once after everything already queued on the event loop has run, so that responses
     * completing together share one flush (one syscall).
     */
    private void scheduleFlush() {
        if (flushScheduled) {
            return;
        }
        flushScheduled = true;
        channel.eventLoop().execute(() -> {
            if (flushScheduled) {
                flushScheduled = false;
                channel.flush();
            }
        });
    }

    private void updateAutoRead() {
        if (inFlight >= maxInFlight) {
            pausedForInFlight = true;
        } else if (inFlight < resumeBelow && waiting.isEmpty()) {
            pausedForInFlight = false;
        }
        boolean read = !pausedForInFlight && channel.isWritable() && !rejected;
        if (channel.config().isAutoRead() != read) {
            channel.config().setAutoRead(read);
        }
    }
}
