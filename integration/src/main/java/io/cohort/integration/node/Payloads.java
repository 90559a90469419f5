package io.cohort.integration.node;

import io.cohort.api.MemberId;
import io.cohort.integration.history.HistoryFormat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The payload of a test multicast: the UTF-8 message id {@code name#incarnation:counter}, a
 * newline, then padding up to the configured size, so that runs move realistic amounts of data
 * while every receiver can tell which message it got.
 */
public final class Payloads {

    private static final byte SEPARATOR = '\n';
    private static final byte PAD = '.';

    private Payloads() {
    }

    /**
     * @param requester the incarnation that requested the multicast
     * @param counter   the process-wide multicast counter (unique across incarnations)
     * @return the message id
     */
    public static String messageId(MemberId requester, long counter) {
        return requester + ":" + counter;
    }

    /**
     * @param messageId a message id from {@link #messageId}
     * @return the incarnation that requested it
     */
    public static MemberId requester(String messageId) {
        return HistoryFormat.parseMember(messageId.substring(0, messageId.lastIndexOf(':')));
    }

    /**
     * @param messageId the id
     * @param size      total payload size; ids longer than that are not truncated
     * @return the payload
     */
    public static byte[] encode(String messageId, int size) {
        byte[] id = messageId.getBytes(StandardCharsets.UTF_8);
        byte[] out = Arrays.copyOf(id, Math.max(size, id.length + 1));
        out[id.length] = SEPARATOR;
        Arrays.fill(out, id.length + 1, out.length, PAD);
        return out;
    }

    /**
     * @param payload a payload from {@link #encode}
     * @return the message id it carries
     */
    public static String decode(byte[] payload) {
        int end = 0;
        while (end < payload.length && payload[end] != SEPARATOR) {
            end++;
        }
        return new String(payload, 0, end, StandardCharsets.UTF_8);
    }
}
