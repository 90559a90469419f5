package io.cohort.client;

import io.cohort.replication.wire.ClientFrameCodec;
import io.cohort.replication.wire.ClientResponse;
import io.cohort.replication.wire.MalformedClientFrameException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * The client end of one connection: decodes responses and reports them, and reports the loss of
 * the connection once, with the reason (bad input from a replica is treated as a lost connection:
 * the stream can no longer be trusted, and the client moves on).
 */
final class ResponseReader extends ChannelInboundHandlerAdapter {

    /** Receives what happens on a connection; called on the connection's event loop. */
    interface Listener {

        /**
         * @param channel  the connection
         * @param response a decoded response
         */
        void response(Channel channel, ClientResponse response);

        /**
         * @param channel the connection, now closed
         * @param reason  why
         */
        void lost(Channel channel, String reason);
    }

    private static final Logger LOG = LoggerFactory.getLogger(ResponseReader.class);

    private final Listener listener;
    private final int maxFrameBytes;
    private String closeReason;

    ResponseReader(Listener listener, int maxFrameBytes) {
        this.listener = listener;
        this.maxFrameBytes = maxFrameBytes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        try {
            if (closeReason == null) {
                listener.response(ctx.channel(), ClientFrameCodec.decodeResponse(frame, maxFrameBytes));
            }
        } catch (MalformedClientFrameException e) {
            bad(ctx, e.getMessage());
        } finally {
            frame.release();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        listener.lost(ctx.channel(), closeReason != null ? closeReason : "connection closed by the replica");
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof DecoderException) {
            bad(ctx, String.valueOf(cause.getMessage()));
        } else if (cause instanceof IOException) {
            close(ctx, "connection failed: " + cause.getMessage());
        } else {
            LOG.warn("unexpected error on the connection to {}; closing it", ctx.channel().remoteAddress(), cause);
            close(ctx, "unexpected error: " + cause);
        }
    }

    private void bad(ChannelHandlerContext ctx, String reason) {
        if (closeReason == null) {
            LOG.warn("malformed response from {}: {}; closing the connection", ctx.channel().remoteAddress(), reason);
        }
        close(ctx, "malformed response: " + reason);
    }

    private void close(ChannelHandlerContext ctx, String reason) {
        if (closeReason == null) {
            closeReason = reason;
        }
        ctx.close();
    }
}
