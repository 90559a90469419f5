package io.cohort.replication;

import io.cohort.api.CommandContext;
import io.cohort.api.StateMachine;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * A small text key-value machine for replication tests: {@code SET k v}, {@code INCR k},
 * {@code GET k}. A "skewed" instance miscounts every seventh INCR, the deliberately
 * non-deterministic replica that divergence checks must catch.
 */
final class TextKeyValueMachine implements StateMachine {

    private final TreeMap<String, String> data = new TreeMap<>();
    private final boolean skewed;
    private long incrs;

    TextKeyValueMachine() {
        this(false);
    }

    TextKeyValueMachine(boolean skewed) {
        this.skewed = skewed;
    }

    static byte[] set(String key, String value) {
        return ("SET " + key + " " + value).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] incr(String key) {
        return ("INCR " + key).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] get(String key) {
        return ("GET " + key).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] apply(CommandContext context, byte[] command) {
        String[] parts = new String(command, StandardCharsets.UTF_8).split(" ", 3);
        switch (parts[0]) {
            case "SET" -> {
                data.put(parts[1], parts[2]);
                return "OK".getBytes(StandardCharsets.UTF_8);
            }
            case "INCR" -> {
                long step = skewed && ++incrs % 7 == 0 ? 2 : 1;
                long v = Long.parseLong(data.getOrDefault(parts[1], "0")) + step;
                data.put(parts[1], Long.toString(v));
                return Long.toString(v).getBytes(StandardCharsets.UTF_8);
            }
            default -> throw new IllegalArgumentException("unknown command " + parts[0]);
        }
    }

    @Override
    public byte[] query(byte[] query) {
        String[] parts = new String(query, StandardCharsets.UTF_8).split(" ", 2);
        return data.getOrDefault(parts[1], "").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void writeSnapshot(OutputStream out) throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        d.writeInt(data.size());
        for (Map.Entry<String, String> e : data.entrySet()) {
            d.writeUTF(e.getKey());
            d.writeUTF(e.getValue());
        }
        d.flush();
    }

    @Override
    public void restoreSnapshot(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        data.clear();
        int n = d.readInt();
        for (int i = 0; i < n; i++) {
            data.put(d.readUTF(), d.readUTF());
        }
    }
}
