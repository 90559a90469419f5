package io.cohort.samples.kv.resp;

import io.cohort.samples.kv.KvCommand;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes Redis protocol (RESP2) requests into {@link KvCommand}s: arrays of bulk strings, as
 * every Redis client sends them, and inline commands (a line of words, as typed into telnet).
 * Pipelined requests come out one by one; a request split across reads waits for the rest.
 *
 * <p>Bad input never makes it allocate more than the limits: a request announcing more than
 * {@code maxArgs} arguments or a bulk string longer than {@code maxBulkBytes} (a 1 GB header
 * included) is refused as soon as its header is read. On malformed input it emits a
 * {@link ProtocolError} with Redis's message and ignores everything after it; the handler answers
 * with it and closes the connection, as Redis does.
 */
public final class RespDecoder extends ByteToMessageDecoder {

    /** Longest inline request, as in Redis. */
    public static final int MAX_INLINE_BYTES = 64 * 1024;

    /**
     * Malformed input: the connection is answered with {@code -ERR Protocol error: ...} and closed.
     *
     * @param message Redis's text after "Protocol error: "
     */
    public record ProtocolError(String message) {
        /** @return the RESP error line */
        public byte[] reply() {
            return ("-ERR Protocol error: " + message + "\r\n").getBytes(StandardCharsets.UTF_8);
        }
    }

    private final int maxArgs;
    private final int maxBulkBytes;
    private boolean failed;

    /**
     * @param maxArgs      most arguments in one request
     * @param maxBulkBytes longest argument
     */
    public RespDecoder(int maxArgs, int maxBulkBytes) {
        this.maxArgs = maxArgs;
        this.maxBulkBytes = maxBulkBytes;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (!failed && in.isReadable()) {
            int start = in.readerIndex();
            Object request;
            try {
                request = in.getByte(start) == '*' ? multibulk(in) : inline(in);
            } catch (Malformed e) {
                failed = true;
                in.skipBytes(in.readableBytes());
                out.add(new ProtocolError(e.getMessage()));
                return;
            }
            if (request == null) {
                in.readerIndex(start);
                return;
            }
            if (request != Skip.EMPTY_LINE) {
                out.add(request);
            }
        }
        if (failed) {
            in.skipBytes(in.readableBytes());
        }
    }

    private enum Skip { EMPTY_LINE }

    private static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    /** @return the command, {@link Skip#EMPTY_LINE} for an empty array, or null if more bytes are needed */
    private Object multibulk(ByteBuf in) throws Malformed {
        String header = line(in, 32, "invalid multibulk length");
        if (header == null) {
            return null;
        }
        long n = number(header.substring(1), "invalid multibulk length");
        if (n > maxArgs) {
            throw new Malformed("invalid multibulk length");
        }
        if (n <= 0) {
            // Redis ignores an empty (or null) array.
            return Skip.EMPTY_LINE;
        }
        List<byte[]> args = new ArrayList<>((int) n);
        for (long i = 0; i < n; i++) {
            if (!in.isReadable()) {
                return null;
            }
            byte first = in.getByte(in.readerIndex());
            if (first != '$') {
                throw new Malformed("expected '$', got '" + printable(first) + "'");
            }
            String bulk = line(in, 32, "invalid bulk length");
            if (bulk == null) {
                return null;
            }
            long length = number(bulk.substring(1), "invalid bulk length");
            if (length < 0 || length > maxBulkBytes) {
                throw new Malformed("invalid bulk length");
            }
            if (in.readableBytes() < length + 2) {
                return null;
            }
            byte[] arg = new byte[(int) length];
            in.readBytes(arg);
            if (in.readByte() != '\r' || in.readByte() != '\n') {
                throw new Malformed("expected CRLF after a bulk string");
            }
            args.add(arg);
        }
        return new KvCommand(args);
    }

    /** @return the command, {@link Skip#EMPTY_LINE}, or null if more bytes are needed */
    private Object inline(ByteBuf in) throws Malformed {
        String text = line(in, MAX_INLINE_BYTES, "too big inline request");
        if (text == null) {
            return null;
        }
        List<byte[]> words = splitInline(text);
        if (words.isEmpty()) {
            return Skip.EMPTY_LINE;
        }
        if (words.size() > maxArgs) {
            throw new Malformed("too many arguments in an inline request");
        }
        return new KvCommand(words);
    }

    /**
     * Reads a line ending in LF (a CR before it is dropped); null if it has not all arrived.
     *
     * @param limit longest line accepted
     */
    private static String line(ByteBuf in, int limit, String tooLong) throws Malformed {
        int from = in.readerIndex();
        int end = in.indexOf(from, Math.min(in.writerIndex(), from + limit + 2), (byte) '\n');
        if (end < 0) {
            if (in.readableBytes() > limit + 1) {
                throw new Malformed(tooLong);
            }
            return null;
        }
        int stop = end > from && in.getByte(end - 1) == '\r' ? end - 1 : end;
        String s = in.toString(from, stop - from, StandardCharsets.UTF_8);
        in.readerIndex(end + 1);
        return s;
    }

    private static long number(String digits, String error) throws Malformed {
        if (digits.isEmpty() || digits.length() > 19) {
            throw new Malformed(error);
        }
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new Malformed(error);
        }
    }

    /** Splits an inline request on spaces, with Redis's double and single quotes. */
    private static List<byte[]> splitInline(String text) throws Malformed {
        List<byte[]> words = new ArrayList<>();
        StringBuilder word = null;
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote != 0) {
                if (c == '\\' && quote == '"' && i + 1 < text.length()) {
                    word.append(text.charAt(++i));
                } else if (c == quote) {
                    quote = 0;
                } else {
                    word.append(c);
                }
            } else if (c == ' ' || c == '\t') {
                if (word != null) {
                    words.add(word.toString().getBytes(StandardCharsets.UTF_8));
                    word = null;
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
                if (word == null) {
                    word = new StringBuilder();
                }
            } else {
                if (word == null) {
                    word = new StringBuilder();
                }
                word.append(c);
            }
        }
        if (quote != 0) {
            throw new Malformed("unbalanced quotes in request");
        }
        if (word != null) {
            words.add(word.toString().getBytes(StandardCharsets.UTF_8));
        }
        return words;
    }

    private static String printable(byte b) {
        return b >= 32 && b < 127 ? String.valueOf((char) b) : String.format("\\x%02x", b & 0xff);
    }
}
