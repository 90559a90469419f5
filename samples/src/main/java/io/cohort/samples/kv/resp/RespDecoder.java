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
     * The arguments of the array request being read, or null between requests. Kept across reads,
     * so that a request arriving in many pieces is parsed once, not again from its start at every
     * piece (which would make a request of n arguments cost n squared).
     */
    private List<byte[]> args;
    /** Arguments of that request still to read. */
    private long argsLeft;
    /** Length announced by the header of the argument being read, or -1 before its header. */
    private long bulkLength = -1;

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
        try {
            while (!failed && in.isReadable()) {
                Object request = args != null || in.getByte(in.readerIndex()) == '*' ? multibulk(in) : inline(in);
                if (request == null) {
                    return; // more bytes are needed
                }
                if (request != Skip.EMPTY_LINE) {
                    out.add(request);
                }
            }
        } catch (Malformed e) {
            failed = true;
            args = null;
            out.add(new ProtocolError(e.getMessage()));
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

    /**
     * Reads on with the array request under way, or starts one. Consumes only whole headers and
     * whole arguments, so it can stop anywhere and go on at the next read.
     *
     * @return the command, {@link Skip#EMPTY_LINE} for an empty array, or null if more bytes are needed
     */
    private Object multibulk(ByteBuf in) throws Malformed {
        if (args == null) {
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
            // Grows as arguments arrive: a header alone must not reserve room for a million of them.
            args = new ArrayList<>((int) Math.min(n, 1024));
            argsLeft = n;
            bulkLength = -1;
        }
        while (argsLeft > 0) {
            if (bulkLength < 0) {
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
                bulkLength = length;
            }
            if (in.readableBytes() < bulkLength + 2) {
                return null;
            }
            byte[] arg = new byte[(int) bulkLength];
            in.readBytes(arg);
            if (in.readByte() != '\r' || in.readByte() != '\n') {
                throw new Malformed("expected CRLF after a bulk string");
            }
            args.add(arg);
            bulkLength = -1;
            argsLeft--;
        }
        KvCommand command = new KvCommand(args);
        args = null;
        return command;
    }

    /** @return the command, {@link Skip#EMPTY_LINE}, or null if more bytes are needed */
    private Object inline(ByteBuf in) throws Malformed {
        byte[] text = lineBytes(in, MAX_INLINE_BYTES, "too big inline request");
        if (text == null) {
            return null;
        }
        List<byte[]> words = InlineSplitter.split(text);
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
    private static byte[] lineBytes(ByteBuf in, int limit, String tooLong) throws Malformed {
        int from = in.readerIndex();
        int end = in.indexOf(from, Math.min(in.writerIndex(), from + limit + 2), (byte) '\n');
        if (end < 0) {
            if (in.readableBytes() > limit + 1) {
                throw new Malformed(tooLong);
            }
            return null;
        }
        int stop = end > from && in.getByte(end - 1) == '\r' ? end - 1 : end;
        byte[] line = new byte[stop - from];
        in.getBytes(from, line);
        in.readerIndex(end + 1);
        return line;
    }

    private static String line(ByteBuf in, int limit, String tooLong) throws Malformed {
        byte[] line = lineBytes(in, limit, tooLong);
        return line == null ? null : new String(line, StandardCharsets.US_ASCII);
    }

    /** A decimal length as Redis reads it: digits with an optional minus sign, no plus, at most 19 digits. */
    private static long number(String digits, String error) throws Malformed {
        if (digits.isEmpty() || digits.length() > 19 || digits.charAt(0) == '+') {
            throw new Malformed(error);
        }
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new Malformed(error);
        }
    }

    /** Splits an inline request into words the way Redis does ({@code sdssplitargs}), byte for byte. */
    private static final class InlineSplitter {

        private InlineSplitter() {
        }

        static List<byte[]> split(byte[] line) throws Malformed {
            List<byte[]> words = new ArrayList<>();
            int p = 0;
            int end = line.length;
            while (true) {
                while (p < end && isSpace(line[p])) {
                    p++;
                }
                if (p >= end) {
                    return words;
                }
                java.io.ByteArrayOutputStream word = new java.io.ByteArrayOutputStream();
                boolean inDouble = false;
                boolean inSingle = false;
                boolean done = false;
                while (!done) {
                    if (inDouble) {
                        if (p >= end) {
                            throw new Malformed("unbalanced quotes in request");
                        }
                        byte c = line[p];
                        if (c == '\\' && p + 3 < end && line[p + 1] == 'x' && isHex(line[p + 2]) && isHex(line[p + 3])) {
                            word.write(Character.digit(line[p + 2], 16) * 16 + Character.digit(line[p + 3], 16));
                            p += 3;
                        } else if (c == '\\' && p + 1 < end) {
                            p++;
                            word.write(switch (line[p]) {
                                case 'n' -> '\n';
                                case 'r' -> '\r';
                                case 't' -> '\t';
                                case 'b' -> '\b';
                                case 'a' -> 7;
                                default -> line[p];
                            });
                        } else if (c == '"') {
                            // A closing quote must end the word.
                            if (p + 1 < end && !isSpace(line[p + 1])) {
                                throw new Malformed("unbalanced quotes in request");
                            }
                            done = true;
                        } else {
                            word.write(c);
                        }
                    } else if (inSingle) {
                        if (p >= end) {
                            throw new Malformed("unbalanced quotes in request");
                        }
                        byte c = line[p];
                        if (c == '\\' && p + 1 < end && line[p + 1] == '\'') {
                            p++;
                            word.write('\'');
                        } else if (c == '\'') {
                            if (p + 1 < end && !isSpace(line[p + 1])) {
                                throw new Malformed("unbalanced quotes in request");
                            }
                            done = true;
                        } else {
                            word.write(c);
                        }
                    } else if (p >= end) {
                        done = true;
                    } else {
                        byte c = line[p];
                        switch (c) {
                            case ' ', '\n', '\r', '\t', 0 -> done = true;
                            case '"' -> inDouble = true;
                            case '\'' -> inSingle = true;
                            default -> word.write(c);
                        }
                    }
                    if (p < end) {
                        p++;
                    }
                }
                words.add(word.toByteArray());
            }
        }

        private static boolean isSpace(byte c) {
            return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0b || c == '\f';
        }

        private static boolean isHex(byte c) {
            return Character.digit(c, 16) >= 0;
        }
    }

    private static String printable(byte b) {
        return b >= 32 && b < 127 ? String.valueOf((char) b) : String.format("\\x%02x", b & 0xff);
    }
}
