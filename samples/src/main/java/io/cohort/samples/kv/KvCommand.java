package io.cohort.samples.kv;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A Redis command as it travels through the log: its arguments (the name first), binary-safe.
 * Encoded as a count, then each argument's length and bytes.
 *
 * @param args the arguments, the command name first; at least one
 */
public record KvCommand(List<byte[]> args) {

    /** Most arguments a command may have. */
    public static final int MAX_ARGS = 1 << 20;

    /** Checks and freezes the arguments. */
    public KvCommand {
        if (args.isEmpty()) {
            throw new IllegalArgumentException("a command has at least its name");
        }
        args = List.copyOf(args);
    }

    /**
     * @param args the arguments as text (for tests and tools)
     * @return the command
     */
    public static KvCommand of(String... args) {
        List<byte[]> bytes = new ArrayList<>(args.length);
        for (String a : args) {
            bytes.add(a.getBytes(StandardCharsets.UTF_8));
        }
        return new KvCommand(bytes);
    }

    /** @return the command name, upper case */
    public String name() {
        return new String(args.get(0), StandardCharsets.UTF_8).toUpperCase(Locale.ROOT);
    }

    /** @return the number of arguments, the name included (Redis's arity) */
    public int arity() {
        return args.size();
    }

    /**
     * @param i an index (0 is the name)
     * @return that argument
     */
    public byte[] arg(int i) {
        return args.get(i);
    }

    /**
     * @param i an index
     * @return that argument as UTF-8 text
     */
    public String text(int i) {
        return new String(args.get(i), StandardCharsets.UTF_8);
    }

    /** @return the encoded command */
    public byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(args.size());
            for (byte[] a : args) {
                out.writeInt(a.length);
                out.write(a);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * @param bytes an encoded command
     * @return the command
     * @throws IllegalArgumentException if the bytes are not one
     */
    public static KvCommand decode(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(bytes))) {
            int n = in.readInt();
            if (n < 1 || n > MAX_ARGS) {
                throw new IllegalArgumentException("a command with " + n + " arguments");
            }
            List<byte[]> args = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int length = in.readInt();
                if (length < 0 || length > in.available()) {
                    throw new IllegalArgumentException("an argument of " + length + " bytes");
                }
                args.add(in.readNBytes(length));
            }
            if (in.available() > 0) {
                throw new IllegalArgumentException(in.available() + " bytes after the last argument");
            }
            return new KvCommand(args);
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated command", e);
        }
    }
}
