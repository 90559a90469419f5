package io.cohort.protocol.wire;

import io.cohort.api.MemberId;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Appends big-endian primitives to a growable byte array. One instance per encoding; not thread-safe. */
public final class WireWriter {

    private byte[] buf;
    private int pos;

    /**
     * @param initialCapacity starting size of the buffer
     */
    public WireWriter(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    private void ensure(int extra) {
        if (pos + extra > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + extra));
        }
    }

    /** @param v the byte to append */
    public void putByte(int v) {
        ensure(1);
        buf[pos++] = (byte) v;
    }

    /** @param v the int to append */
    public void putInt(int v) {
        ensure(4);
        buf[pos++] = (byte) (v >>> 24);
        buf[pos++] = (byte) (v >>> 16);
        buf[pos++] = (byte) (v >>> 8);
        buf[pos++] = (byte) v;
    }

    /** @param v the long to append */
    public void putLong(long v) {
        ensure(8);
        for (int shift = 56; shift >= 0; shift -= 8) {
            buf[pos++] = (byte) (v >>> shift);
        }
    }

    /** @param b bytes to append, preceded by their length */
    public void putBytes(byte[] b) {
        putInt(b.length);
        putRaw(b, 0, b.length);
    }

    /**
     * Appends bytes without a length prefix.
     *
     * @param b   source
     * @param off offset in source
     * @param len number of bytes
     */
    public void putRaw(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, buf, pos, len);
        pos += len;
    }

    /** @param m member identity to append (name and incarnation) */
    public void putMember(MemberId m) {
        byte[] name = m.name().getBytes(StandardCharsets.UTF_8);
        putByte(name.length);
        putRaw(name, 0, name.length);
        putLong(m.incarnation());
    }

    /** @param values longs to append, preceded by their count */
    public void putLongs(long[] values) {
        putInt(values.length);
        for (long v : values) {
            putLong(v);
        }
    }

    /** @return the bytes written so far, as a new array */
    public byte[] toByteArray() {
        return Arrays.copyOf(buf, pos);
    }

    /** @return number of bytes written */
    public int size() {
        return pos;
    }
}
