package io.cohort.protocol.wire;

import io.cohort.api.MemberId;

import java.nio.charset.StandardCharsets;

/**
 * Reads big-endian primitives from a byte array, checking every length against what remains so
 * that a hostile or garbled frame can never make the reader allocate more than the frame holds.
 */
public final class WireReader {

    private final byte[] buf;
    private int pos;
    private final int end;

    /**
     * @param buf the frame bytes
     */
    public WireReader(byte[] buf) {
        this(buf, 0, buf.length);
    }

    /**
     * @param buf source
     * @param off first byte to read
     * @param len number of readable bytes
     */
    public WireReader(byte[] buf, int off, int len) {
        this.buf = buf;
        this.pos = off;
        this.end = off + len;
    }

    private void need(int n) throws MalformedFrameException {
        if (n < 0 || end - pos < n) {
            throw new MalformedFrameException("truncated frame: needed " + n + " bytes at offset " + pos + ", have " + (end - pos));
        }
    }

    /** @return the next unsigned byte */
    public int getByte() throws MalformedFrameException {
        need(1);
        return buf[pos++] & 0xff;
    }

    /** @return the next int */
    public int getInt() throws MalformedFrameException {
        need(4);
        int v = ((buf[pos] & 0xff) << 24) | ((buf[pos + 1] & 0xff) << 16) | ((buf[pos + 2] & 0xff) << 8) | (buf[pos + 3] & 0xff);
        pos += 4;
        return v;
    }

    /** @return the next long */
    public long getLong() throws MalformedFrameException {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (buf[pos++] & 0xff);
        }
        return v;
    }

    /**
     * Reads a count and checks it is plausible: each element takes at least {@code minElementBytes}.
     *
     * @param minElementBytes smallest encoded size of one element
     * @return the count
     */
    public int getCount(int minElementBytes) throws MalformedFrameException {
        int n = getInt();
        if (n < 0 || (long) n * Math.max(1, minElementBytes) > end - pos) {
            throw new MalformedFrameException("implausible element count " + n + " with " + (end - pos) + " bytes left");
        }
        return n;
    }

    /** @return a length-prefixed byte array */
    public byte[] getBytes() throws MalformedFrameException {
        int n = getCount(1);
        byte[] out = new byte[n];
        System.arraycopy(buf, pos, out, 0, n);
        pos += n;
        return out;
    }

    /** @return a count-prefixed long array */
    public long[] getLongs() throws MalformedFrameException {
        int n = getCount(8);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = getLong();
        }
        return out;
    }

    /** @return a member identity */
    public MemberId getMember() throws MalformedFrameException {
        int len = getByte();
        need(len);
        String name = new String(buf, pos, len, StandardCharsets.UTF_8);
        pos += len;
        long incarnation = getLong();
        try {
            return new MemberId(name, incarnation);
        } catch (IllegalArgumentException e) {
            throw new MalformedFrameException("bad member identity: " + e.getMessage());
        }
    }

    /** @return whether unread bytes remain */
    public boolean hasRemaining() {
        return pos < end;
    }

    /** @throws MalformedFrameException if unread bytes remain (a frame must be consumed exactly) */
    public void expectEnd() throws MalformedFrameException {
        if (pos != end) {
            throw new MalformedFrameException((end - pos) + " unexpected trailing bytes");
        }
    }
}
