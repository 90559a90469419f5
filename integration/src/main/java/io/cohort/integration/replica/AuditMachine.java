package io.cohort.integration.replica;

import io.cohort.api.CommandContext;
import io.cohort.api.RequestExecutor;
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
 * A state machine that counts how many times each command was applied, so that a test can check
 * exactly-once application from outside: a command is a unique id ({@code c3-17}); applying it
 * returns how many times it has now been applied ("1" unless something is wrong). In
 * primary-backup and coordinator-cohort modes the executor appends a non-deterministic stamp
 * ({@code c3-17|<nanoTime>}) that applying ignores, so replicas agree only if they apply the
 * handler's update rather than re-executing.
 *
 * <p>Queries: {@code COUNT <id>}, {@code SIZE}, and {@code DUMP} (every id and its count, one per line).
 */
public final class AuditMachine implements StateMachine {

    private final TreeMap<String, Integer> applied = new TreeMap<>();

    /** @return an executor that stamps each request with the handler's clock */
    public static RequestExecutor stampingExecutor() {
        return (context, request) -> (new String(request, StandardCharsets.UTF_8) + "|" + System.nanoTime())
                .getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] apply(CommandContext context, byte[] command) {
        String text = new String(command, StandardCharsets.UTF_8);
        int bar = text.indexOf('|');
        String id = bar < 0 ? text : text.substring(0, bar);
        int count = applied.merge(id, 1, Integer::sum);
        return Integer.toString(count).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] query(byte[] query) {
        String q = new String(query, StandardCharsets.UTF_8);
        String answer;
        if (q.equals("SIZE")) {
            answer = Integer.toString(applied.size());
        } else if (q.equals("DUMP")) {
            StringBuilder b = new StringBuilder();
            applied.forEach((id, n) -> b.append(id).append(' ').append(n).append('\n'));
            answer = b.toString();
        } else if (q.startsWith("COUNT ")) {
            answer = Integer.toString(applied.getOrDefault(q.substring(6), 0));
        } else {
            throw new IllegalArgumentException("unknown query " + q);
        }
        return answer.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void writeSnapshot(OutputStream out) throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        d.writeInt(applied.size());
        for (Map.Entry<String, Integer> e : applied.entrySet()) {
            d.writeUTF(e.getKey());
            d.writeInt(e.getValue());
        }
        d.flush();
    }

    @Override
    public void restoreSnapshot(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        applied.clear();
        int n = d.readInt();
        for (int i = 0; i < n; i++) {
            applied.put(d.readUTF(), d.readInt());
        }
    }
}
