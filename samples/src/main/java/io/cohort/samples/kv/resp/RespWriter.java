package io.cohort.samples.kv.resp;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Builds one RESP2 reply of mixed types (arrays holding integers, strings and arrays), for the
 * connection commands whose replies are not plain strings: HELLO, COMMAND, CONFIG GET.
 */
final class RespWriter {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream(128);

    RespWriter array(int size) {
        return header('*', size);
    }

    RespWriter bulk(String value) {
        byte[] b = value.getBytes(StandardCharsets.UTF_8);
        header('$', b.length);
        out.writeBytes(b);
        out.write('\r');
        out.write('\n');
        return this;
    }

    RespWriter integer(long value) {
        return header(':', value);
    }

    RespWriter status(String value) {
        out.write('+');
        out.writeBytes(value.getBytes(StandardCharsets.UTF_8));
        out.write('\r');
        out.write('\n');
        return this;
    }

    byte[] toBytes() {
        return out.toByteArray();
    }

    private RespWriter header(char type, long n) {
        out.write(type);
        out.writeBytes(Long.toString(n).getBytes(StandardCharsets.US_ASCII));
        out.write('\r');
        out.write('\n');
        return this;
    }
}
