package io.cohort.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/** Hands a connection's envelopes and events to the {@link NettyTransport}; turns bad input into rejection. */
final class PeerHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(PeerHandler.class);

    private final NettyTransport transport;

    PeerHandler(NettyTransport transport) {
        this.transport = transport;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        transport.channelActive(ctx.channel());
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        transport.channelInactive(ctx.channel());
        ctx.fireChannelInactive();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        transport.writable(ctx.channel());
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf buf = (ByteBuf) msg;
        try {
            if (ctx.channel().isActive()) {
                transport.envelope(ctx.channel(), buf);
            }
        } catch (EnvelopeRejectedException e) {
            transport.reject(ctx.channel(), e.reason(), e.getMessage());
        } finally {
            buf.release();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException || cause instanceof CorruptedFrameException) {
            transport.reject(ctx.channel(), RejectReason.OVERSIZED, "OVERSIZED: " + cause.getMessage());
        } else if (cause instanceof DecoderException) {
            transport.reject(ctx.channel(), RejectReason.MALFORMED, "MALFORMED: " + cause.getMessage());
        } else if (cause instanceof IOException) {
            LOG.debug("connection to {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        } else {
            LOG.warn("unexpected error on the connection to {}; closing it", ctx.channel().remoteAddress(), cause);
            ctx.close();
        }
    }
}
