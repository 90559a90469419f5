package io.cohort.samples.rsm;

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
 * The state machine of docs/first-replicated-state-machine.md: named counters. Commands are text,
 * {@code add <name> <delta>}, answered with the counter's new value; queries are {@code get <name>}.
 *
 * <p>What makes it a correct Cohort state machine: {@link #apply} depends only on the state and the
 * command (no clock, no randomness), and {@link #writeSnapshot} writes the counters in name order,
 * so equal states give equal bytes (and equal state hashes).
 */
public final class NamedCounters implements StateMachine {

    private final TreeMap<String, Long> counters = new TreeMap<>();

    /**
     * @param name  a counter
     * @param delta how much to add
     * @return the command
     */
    public static byte[] add(String name, long delta) {
        return ("add " + name + " " + delta).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * @param name a counter
     * @return the query
     */
    public static byte[] get(String name) {
        return ("get " + name).getBytes(StandardCharsets.UTF_8);
    }

    /** @return the smallest counter value, 0 if there is none (for tests' invariants) */
    public long lowest() {
        return counters.values().stream().mapToLong(Long::longValue).min().orElse(0);
    }

    @Override
    public byte[] apply(CommandContext context, byte[] command) {
        String[] words = new String(command, StandardCharsets.UTF_8).split(" ");
        if (words.length != 3 || !words[0].equals("add")) {
            // Thrown the same way at every replica; the client gets APPLICATION_ERROR with this message.
            throw new IllegalArgumentException("expected 'add <name> <delta>'");
        }
        long value = counters.merge(words[1], Long.parseLong(words[2]), Long::sum);
        return Long.toString(value).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] query(byte[] query) {
        String[] words = new String(query, StandardCharsets.UTF_8).split(" ");
        if (words.length != 2 || !words[0].equals("get")) {
            throw new IllegalArgumentException("expected 'get <name>'");
        }
        return Long.toString(counters.getOrDefault(words[1], 0L)).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void writeSnapshot(OutputStream out) throws IOException {
        DataOutputStream data = new DataOutputStream(out);
        data.writeInt(counters.size());
        for (Map.Entry<String, Long> e : counters.entrySet()) {
            data.writeUTF(e.getKey());
            data.writeLong(e.getValue());
        }
        data.flush();
    }

    @Override
    public void restoreSnapshot(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        counters.clear();
        int n = data.readInt();
        for (int i = 0; i < n; i++) {
            counters.put(data.readUTF(), data.readLong());
        }
    }
}
