package io.cohort.samples.kv.resp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A Redis client on a raw socket, for exact bytes and bad input. Reads block; the socket timeout
 * only guards against a hung server (a test fails instead of hanging), nothing depends on it.
 *
 * <p>Text is sent and read as ISO-8859-1, so that every byte value maps to one char.
 */
final class RespTestClient implements AutoCloseable {

    /** Hang guard for every blocking read. */
    static final int TIMEOUT_MILLIS = 10_000;

    /** An error reply, without its '-'. */
    record Err(String text) {
    }

    /** A status reply, without its '+'. */
    record Status(String text) {
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    /** Bytes of the reply being read, for {@link #readRaw()}. */
    private ByteArrayOutputStream capture;

    RespTestClient(InetSocketAddress address) throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(TIMEOUT_MILLIS);
        socket.connect(address, TIMEOUT_MILLIS);
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    Socket socket() {
        return socket;
    }

    /** @return the words as one RESP array of bulk strings */
    static byte[] encode(String... words) {
        StringBuilder s = new StringBuilder().append('*').append(words.length).append("\r\n");
        for (String w : words) {
            s.append('$').append(w.getBytes(StandardCharsets.ISO_8859_1).length).append("\r\n")
                    .append(w).append("\r\n");
        }
        return s.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    void send(String text) throws IOException {
        send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    void sendCommand(String... words) throws IOException {
        send(encode(words));
    }

    /** Sends a command and reads its reply's exact bytes. */
    String call(String... words) throws IOException {
        sendCommand(words);
        return readRaw();
    }

    /** Sends a command and reads its reply, parsed. */
    Object callParsed(String... words) throws IOException {
        sendCommand(words);
        return read();
    }

    /**
     * Reads exactly as many bytes as {@code expected} has and checks they are those; fails as soon
     * as a byte differs (with what else has arrived), or if the rest does not come.
     */
    void expect(String expected) throws IOException {
        byte[] want = expected.getBytes(StandardCharsets.ISO_8859_1);
        byte[] got = new byte[want.length];
        int n = 0;
        while (n < want.length) {
            int r;
            try {
                r = in.read(got, n, want.length - n);
            } catch (SocketTimeoutException e) {
                throw new AssertionError("expected " + visible(expected) + " but got only "
                        + visible(new String(got, 0, n, StandardCharsets.ISO_8859_1)) + " and then nothing for "
                        + TIMEOUT_MILLIS + " ms", e);
            }
            if (r < 0) {
                fail("expected " + visible(expected) + " but the server closed the connection after "
                        + visible(new String(got, 0, n, StandardCharsets.ISO_8859_1)));
            }
            for (int i = n; i < n + r; i++) {
                if (got[i] != want[i]) {
                    byte[] more = in.readNBytes(Math.min(in.available(), 500));
                    String actual = new String(got, 0, n + r, StandardCharsets.ISO_8859_1)
                            + new String(more, StandardCharsets.ISO_8859_1);
                    assertThat(visible(actual)).as("differs at byte " + i).isEqualTo(visible(expected));
                }
            }
            n += r;
        }
    }

    /** Checks that the server closed the connection with nothing more sent: a read returns -1. */
    void expectClosedByServer() throws IOException {
        int b = readByte();
        if (b >= 0) {
            byte[] rest = in.readNBytes(Math.min(in.available(), 200));
            fail("expected the server to close the connection, but it sent more: "
                    + visible((char) b + new String(rest, StandardCharsets.ISO_8859_1)));
        }
    }

    /** @return the exact bytes of the next reply (of any type, arrays included) */
    String readRaw() throws IOException {
        capture = new ByteArrayOutputStream();
        try {
            read();
            return capture.toString(StandardCharsets.ISO_8859_1);
        } finally {
            capture = null;
        }
    }

    /**
     * @return the next reply: {@link Status}, {@link Err}, Long, String (a bulk string), a List (an
     *         array) or null (the null bulk string or array)
     */
    Object read() throws IOException {
        String line = readLine();
        char type = line.charAt(0);
        String rest = line.substring(1);
        switch (type) {
            case '+':
                return new Status(rest);
            case '-':
                return new Err(rest);
            case ':':
                return Long.parseLong(rest);
            case '$': {
                int length = Integer.parseInt(rest);
                if (length < 0) {
                    return null;
                }
                byte[] b = new byte[length + 2];
                int n = 0;
                while (n < b.length) {
                    int r = readSome(b, n, b.length - n);
                    if (r < 0) {
                        throw new EOFException("the connection closed inside a bulk string");
                    }
                    n += r;
                }
                assertThat(b[length]).as("CR after a bulk string").isEqualTo((byte) '\r');
                assertThat(b[length + 1]).as("LF after a bulk string").isEqualTo((byte) '\n');
                return new String(b, 0, length, StandardCharsets.ISO_8859_1);
            }
            case '*': {
                int size = Integer.parseInt(rest);
                if (size < 0) {
                    return null;
                }
                List<Object> items = new ArrayList<>(size);
                for (int i = 0; i < size; i++) {
                    items.add(read());
                }
                return items;
            }
            default:
                throw new AssertionError("not a RESP2 reply: " + visible(line));
        }
    }

    private String readLine() throws IOException {
        StringBuilder s = new StringBuilder();
        while (true) {
            int b = readByte();
            if (b < 0) {
                throw new EOFException("the server closed the connection" + (s.length() > 0 ? " inside the line "
                        + visible(s.toString()) : " before replying"));
            }
            if (b == '\r') {
                int lf = readByte();
                assertThat(lf).as("LF after CR in " + visible(s.toString())).isEqualTo('\n');
                return s.toString();
            }
            s.append((char) b);
        }
    }

    private int readByte() throws IOException {
        int b;
        try {
            b = in.read();
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no reply within " + TIMEOUT_MILLIS + " ms: the server hangs", e);
        }
        if (b >= 0 && capture != null) {
            capture.write(b);
        }
        return b;
    }

    private int readSome(byte[] b, int off, int len) throws IOException {
        int r;
        try {
            r = in.read(b, off, len);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no reply within " + TIMEOUT_MILLIS + " ms: the server hangs", e);
        }
        if (r > 0 && capture != null) {
            capture.write(b, off, r);
        }
        return r;
    }

    /** @return the bytes (as ISO-8859-1 text) on one line: CR, LF, tab as escapes, other unprintables as \xNN */
    static String visible(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '\r' -> b.append("\\r");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\\' -> b.append("\\\\");
                case '"' -> b.append("\\\"");
                default -> {
                    if (ch >= 32 && ch < 127) {
                        b.append(ch);
                    } else {
                        b.append(String.format("\\x%02x", (int) ch));
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
