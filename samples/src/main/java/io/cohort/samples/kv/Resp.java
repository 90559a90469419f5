package io.cohort.samples.kv;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Builds Redis protocol (RESP2) replies. The key-value machine answers with these bytes, so that a
 * replica's Redis server sends a command's result to its client unchanged.
 */
public final class Resp {

    /** {@code +OK}. */
    public static final byte[] OK = simple("OK");
    /** The null bulk string ({@code $-1}): a missing value. */
    public static final byte[] NULL = "$-1\r\n".getBytes(StandardCharsets.US_ASCII);

    private Resp() {
    }

    /**
     * @param text a status line without CR or LF
     * @return {@code +text}
     */
    public static byte[] simple(String text) {
        return ("+" + text + "\r\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * @param message an error line without CR or LF, starting with its kind ({@code ERR}, {@code WRONGTYPE}...)
     * @return {@code -message}
     */
    public static byte[] error(String message) {
        return ("-" + message + "\r\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * @param value an integer
     * @return {@code :value}
     */
    public static byte[] integer(long value) {
        return (":" + value + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * @param value a binary-safe string, or null for the null bulk string
     * @return {@code $length value}
     */
    public static byte[] bulk(byte[] value) {
        if (value == null) {
            return NULL;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(value.length + 16);
        writeBulk(out, value);
        return out.toByteArray();
    }

    /**
     * @param values bulk strings (null elements are null bulk strings)
     * @return an array of them
     */
    public static byte[] array(List<byte[]> values) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("*" + values.size() + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (byte[] v : values) {
            if (v == null) {
                out.writeBytes(NULL);
            } else {
                writeBulk(out, v);
            }
        }
        return out.toByteArray();
    }

    private static void writeBulk(ByteArrayOutputStream out, byte[] value) {
        out.writeBytes(("$" + value.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(value);
        out.writeBytes(new byte[] {'\r', '\n'});
    }

    /**
     * Makes client text safe to quote in an error line, which must hold no CR or LF and should not
     * grow without bound.
     *
     * @param s text from a request
     * @return at most 128 characters of it (and "..."), line breaks turned into spaces
     */
    public static String printable(String s) {
        String t = s.length() > 128 ? s.substring(0, 128) + "..." : s;
        return t.replace('\r', ' ').replace('\n', ' ');
    }
}
