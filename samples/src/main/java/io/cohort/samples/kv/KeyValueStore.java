package io.cohort.samples.kv;

import io.cohort.api.CommandContext;
import io.cohort.api.StateMachine;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A replicated key-value store with Redis's string commands. Commands and queries are
 * {@link KvCommand}s; every answer is a RESP2 reply, ready to send to a Redis client.
 *
 * <p>Expiry is deterministic: "now" is the logical time the log assigns to each command
 * ({@link CommandContext#logicalTimeMillis()}), never a replica's clock. Keys due at or before it
 * are removed before each command. A query sees the state as of the last command applied, with
 * the logical time of that command: a key whose time has passed on the wall clock but not yet in
 * the log is still there until the next command (a replica submits no-op ticks to move time on).
 *
 * <p>Keys are kept sorted (unsigned byte order), so that snapshots, hashes and {@code KEYS}
 * are the same at every replica.
 */
public final class KeyValueStore implements StateMachine {

    /** The read-only commands: served as queries, never logged. */
    public static final Set<String> READ_ONLY = Set.of("GET", "MGET", "EXISTS", "STRLEN", "TTL", "PTTL", "KEYS",
            "DBSIZE");

    /** The commands that change the data: applied through the replicated log. */
    public static final Set<String> WRITES = Set.of("SET", "GETSET", "SETNX", "DEL", "INCR", "INCRBY", "DECR",
            "DECRBY", "APPEND", "MSET", "FLUSHDB", "EXPIRE", "PEXPIRE", "PERSIST", KeyValueStore.TICK);

    /**
     * A no-op command whose only effect is to move logical time on, so that keys expire while no
     * client writes: a replica submits it when a key is due ({@link #nextExpiryMillis()}).
     */
    public static final String TICK = "COHORT.TICK";

    private record Item(byte[] value, long expiresAt) {
    }

    private record Due(long at, Key key) implements Comparable<Due> {
        @Override
        public int compareTo(Due o) {
            int c = Long.compare(at, o.at);
            return c != 0 ? c : key.compareTo(o.key);
        }
    }

    /** A key, ordered by unsigned bytes. */
    private record Key(byte[] bytes) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            return Arrays.compareUnsigned(bytes, o.bytes);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(bytes, k.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }
    }

    private final TreeMap<Key, Item> items = new TreeMap<>();
    private final NavigableSet<Due> expiries = new TreeSet<>();
    /** The logical time of the last command applied. */
    private long now;
    /** {@link #now} and the earliest expiry, published for other threads after each change. */
    private volatile long publishedNow;
    private volatile long publishedNextExpiry = Long.MAX_VALUE;
    private volatile int publishedKeys;
    private volatile int publishedVolatileKeys;

    @Override
    public byte[] apply(CommandContext context, byte[] command) {
        now = Math.max(now, context.logicalTimeMillis());
        expireDue();
        try {
            KvCommand c;
            try {
                c = KvCommand.decode(command);
            } catch (IllegalArgumentException e) {
                return Resp.error("ERR malformed command: " + e.getMessage());
            }
            return TICK.equals(c.name()) ? (arity(c, 1) ? Resp.OK : wrongArity(c)) : execute(c);
        } finally {
            publish();
        }
    }

    private void publish() {
        publishedNow = now;
        publishedNextExpiry = expiries.isEmpty() ? Long.MAX_VALUE : expiries.first().at();
        publishedKeys = items.size();
        publishedVolatileKeys = expiries.size();
    }

    @Override
    public byte[] query(byte[] query) {
        KvCommand c;
        try {
            c = KvCommand.decode(query);
        } catch (IllegalArgumentException e) {
            return Resp.error("ERR malformed command: " + e.getMessage());
        }
        if (!READ_ONLY.contains(c.name())) {
            return Resp.error("ERR '" + c.name().toLowerCase() + "' changes the data: it must be a command, not a query");
        }
        return execute(c);
    }

    /** @return the logical time of the last command applied (any thread) */
    public long logicalNow() {
        return publishedNow;
    }

    /** @return keys held, expired ones not yet removed included (any thread; as of the last command applied) */
    public int keyCount() {
        return publishedKeys;
    }

    /** @return keys with a time to live (any thread; as of the last command applied) */
    public int volatileKeyCount() {
        return publishedVolatileKeys;
    }

    /**
     * @return the logical time at which the next key expires, or {@link Long#MAX_VALUE} if no key
     *         has a time to live (any thread; as of the last command applied)
     */
    public long nextExpiryMillis() {
        return publishedNextExpiry;
    }

    private byte[] execute(KvCommand c) {
        return switch (c.name()) {
            case "GET" -> arity(c, 2) ? get(c) : wrongArity(c);
            case "SET" -> c.arity() >= 3 ? set(c) : wrongArity(c);
            case "GETSET" -> arity(c, 3) ? getSet(c) : wrongArity(c);
            case "SETNX" -> arity(c, 3) ? setNx(c) : wrongArity(c);
            case "DEL" -> c.arity() >= 2 ? del(c) : wrongArity(c);
            case "EXISTS" -> c.arity() >= 2 ? exists(c) : wrongArity(c);
            case "INCR" -> arity(c, 2) ? add(c, 1) : wrongArity(c);
            case "DECR" -> arity(c, 2) ? add(c, -1) : wrongArity(c);
            case "INCRBY" -> arity(c, 3) ? addBy(c, false) : wrongArity(c);
            case "DECRBY" -> arity(c, 3) ? addBy(c, true) : wrongArity(c);
            case "APPEND" -> arity(c, 3) ? append(c) : wrongArity(c);
            case "STRLEN" -> arity(c, 2) ? strlen(c) : wrongArity(c);
            case "MGET" -> c.arity() >= 2 ? mget(c) : wrongArity(c);
            case "MSET" -> c.arity() >= 3 && c.arity() % 2 == 1 ? mset(c) : wrongArity(c);
            case "DBSIZE" -> arity(c, 1) ? Resp.integer(liveCount()) : wrongArity(c);
            case "KEYS" -> arity(c, 2) ? keys(c) : wrongArity(c);
            case "FLUSHDB" -> c.arity() <= 2 ? flush(c) : Resp.error("ERR syntax error");
            case "EXPIRE" -> c.arity() >= 3 ? expire(c, 1000) : wrongArity(c);
            case "PEXPIRE" -> c.arity() >= 3 ? expire(c, 1) : wrongArity(c);
            case "TTL" -> arity(c, 2) ? ttl(c, true) : wrongArity(c);
            case "PTTL" -> arity(c, 2) ? ttl(c, false) : wrongArity(c);
            case "PERSIST" -> arity(c, 2) ? persist(c) : wrongArity(c);
            default -> unknown(c);
        };
    }

    // ------------------------------------------------------------------ commands

    private byte[] get(KvCommand c) {
        Item it = live(c.arg(1));
        return Resp.bulk(it == null ? null : it.value());
    }

    private byte[] set(KvCommand c) {
        boolean nx = false;
        boolean xx = false;
        boolean get = false;
        boolean keepTtl = false;
        long expiresAt = 0;
        for (int i = 3; i < c.arity(); i++) {
            String opt = c.text(i).toUpperCase(java.util.Locale.ROOT);
            switch (opt) {
                case "NX" -> nx = true;
                case "XX" -> xx = true;
                case "GET" -> get = true;
                case "KEEPTTL" -> keepTtl = true;
                case "EX", "PX", "EXAT", "PXAT" -> {
                    if (expiresAt != 0 || i + 1 >= c.arity()) {
                        return Resp.error("ERR syntax error");
                    }
                    Long n = parseLong(c.arg(++i));
                    if (n == null) {
                        return notAnInteger();
                    }
                    Long at = expiryTime(opt, n);
                    if (at == null) {
                        return Resp.error("ERR invalid expire time in 'set' command");
                    }
                    expiresAt = at;
                }
                default -> {
                    return Resp.error("ERR syntax error");
                }
            }
        }
        if ((nx && xx) || (keepTtl && expiresAt != 0)) {
            return Resp.error("ERR syntax error");
        }
        Item old = live(c.arg(1));
        byte[] previous = old == null ? null : old.value();
        if ((nx && old != null) || (xx && old == null)) {
            return get ? Resp.bulk(previous) : Resp.NULL;
        }
        long keep = keepTtl && old != null ? old.expiresAt() : expiresAt;
        put(c.arg(1), c.arg(2), keep);
        return get ? Resp.bulk(previous) : Resp.OK;
    }

    /** The absolute logical time for an expiry option, or null if it is not a valid time. */
    private Long expiryTime(String opt, long n) {
        try {
            long at = switch (opt) {
                case "EX" -> Math.addExact(now, Math.multiplyExact(n, 1000L));
                case "PX" -> Math.addExact(now, n);
                case "EXAT" -> Math.multiplyExact(n, 1000L);
                default -> n;
            };
            boolean relative = opt.equals("EX") || opt.equals("PX");
            return n <= 0 || (relative && at <= now) ? null : at;
        } catch (ArithmeticException e) {
            return null;
        }
    }

    private byte[] getSet(KvCommand c) {
        Item old = live(c.arg(1));
        put(c.arg(1), c.arg(2), 0);
        return Resp.bulk(old == null ? null : old.value());
    }

    private byte[] setNx(KvCommand c) {
        if (live(c.arg(1)) != null) {
            return Resp.integer(0);
        }
        put(c.arg(1), c.arg(2), 0);
        return Resp.integer(1);
    }

    private byte[] del(KvCommand c) {
        long n = 0;
        for (int i = 1; i < c.arity(); i++) {
            if (live(c.arg(i)) != null) {
                remove(new Key(c.arg(i)));
                n++;
            }
        }
        return Resp.integer(n);
    }

    private byte[] exists(KvCommand c) {
        long n = 0;
        for (int i = 1; i < c.arity(); i++) {
            if (live(c.arg(i)) != null) {
                n++;
            }
        }
        return Resp.integer(n);
    }

    private byte[] addBy(KvCommand c, boolean negate) {
        Long by = parseLong(c.arg(2));
        if (by == null) {
            return notAnInteger();
        }
        if (negate && by == Long.MIN_VALUE) {
            return Resp.error("ERR decrement would overflow");
        }
        return add(c, negate ? -by : by);
    }

    private byte[] add(KvCommand c, long by) {
        Item it = live(c.arg(1));
        long current = 0;
        if (it != null) {
            Long parsed = parseLong(it.value());
            if (parsed == null) {
                return notAnInteger();
            }
            current = parsed;
        }
        long next;
        try {
            next = Math.addExact(current, by);
        } catch (ArithmeticException e) {
            return Resp.error("ERR increment or decrement would overflow");
        }
        put(c.arg(1), Long.toString(next).getBytes(StandardCharsets.US_ASCII), it == null ? 0 : it.expiresAt());
        return Resp.integer(next);
    }

    private byte[] append(KvCommand c) {
        Item it = live(c.arg(1));
        byte[] base = it == null ? new byte[0] : it.value();
        byte[] value = Arrays.copyOf(base, base.length + c.arg(2).length);
        System.arraycopy(c.arg(2), 0, value, base.length, c.arg(2).length);
        put(c.arg(1), value, it == null ? 0 : it.expiresAt());
        return Resp.integer(value.length);
    }

    private byte[] strlen(KvCommand c) {
        Item it = live(c.arg(1));
        return Resp.integer(it == null ? 0 : it.value().length);
    }

    private byte[] mget(KvCommand c) {
        List<byte[]> values = new ArrayList<>(c.arity() - 1);
        for (int i = 1; i < c.arity(); i++) {
            Item it = live(c.arg(i));
            values.add(it == null ? null : it.value());
        }
        return Resp.array(values);
    }

    private byte[] mset(KvCommand c) {
        for (int i = 1; i < c.arity(); i += 2) {
            put(c.arg(i), c.arg(i + 1), 0);
        }
        return Resp.OK;
    }

    private byte[] keys(KvCommand c) {
        List<byte[]> matching = new ArrayList<>();
        for (Map.Entry<Key, Item> e : items.entrySet()) {
            if (isLive(e.getValue()) && Glob.matches(c.arg(1), e.getKey().bytes())) {
                matching.add(e.getKey().bytes());
            }
        }
        return Resp.array(matching);
    }

    private byte[] flush(KvCommand c) {
        if (c.arity() == 2) {
            String mode = c.text(1).toUpperCase(java.util.Locale.ROOT);
            if (!mode.equals("ASYNC") && !mode.equals("SYNC")) {
                return Resp.error("ERR syntax error");
            }
        }
        items.clear();
        expiries.clear();
        return Resp.OK;
    }

    private byte[] expire(KvCommand c, long unitMillis) {
        Long n = parseLong(c.arg(2));
        if (n == null) {
            return notAnInteger();
        }
        boolean nx = false;
        boolean xx = false;
        boolean gt = false;
        boolean lt = false;
        for (int i = 3; i < c.arity(); i++) {
            switch (c.text(i).toUpperCase(java.util.Locale.ROOT)) {
                case "NX" -> nx = true;
                case "XX" -> xx = true;
                case "GT" -> gt = true;
                case "LT" -> lt = true;
                default -> {
                    return Resp.error("ERR Unsupported option " + Resp.printable(c.text(i)));
                }
            }
        }
        if (nx && (xx || gt || lt)) {
            return Resp.error("ERR NX and XX, GT or LT options at the same time are not compatible");
        }
        if (gt && lt) {
            return Resp.error("ERR GT and LT options at the same time are not compatible");
        }
        long at;
        try {
            at = Math.addExact(now, Math.multiplyExact(n, unitMillis));
        } catch (ArithmeticException e) {
            return Resp.error("ERR invalid expire time in '" + c.name().toLowerCase(java.util.Locale.ROOT) + "' command");
        }
        Item it = live(c.arg(1));
        if (it == null) {
            return Resp.integer(0);
        }
        long current = it.expiresAt();
        // A key without a time to live counts as living forever: never less than, never more than.
        boolean allowed = (!nx || current == 0)
                && (!xx || current != 0)
                && (!gt || (current != 0 && at > current))
                && (!lt || current == 0 || at < current);
        if (!allowed) {
            return Resp.integer(0);
        }
        if (at <= now) {
            remove(new Key(c.arg(1)));
        } else {
            put(c.arg(1), it.value(), at);
        }
        return Resp.integer(1);
    }

    private byte[] ttl(KvCommand c, boolean seconds) {
        Item it = live(c.arg(1));
        if (it == null) {
            return Resp.integer(-2);
        }
        if (it.expiresAt() == 0) {
            return Resp.integer(-1);
        }
        long left = it.expiresAt() - now;
        return Resp.integer(seconds ? (left + 500) / 1000 : left);
    }

    private byte[] persist(KvCommand c) {
        Item it = live(c.arg(1));
        if (it == null || it.expiresAt() == 0) {
            return Resp.integer(0);
        }
        put(c.arg(1), it.value(), 0);
        return Resp.integer(1);
    }

    // ------------------------------------------------------------------ helpers

    private static boolean arity(KvCommand c, int n) {
        return c.arity() == n;
    }

    private static byte[] wrongArity(KvCommand c) {
        return Resp.error("ERR wrong number of arguments for '" + c.name().toLowerCase(java.util.Locale.ROOT)
                + "' command");
    }

    /**
     * @param c a command this store does not know
     * @return Redis's answer to it: {@code -ERR unknown command 'x', with args beginning with: ...}
     */
    public static byte[] unknown(KvCommand c) {
        StringBuilder s = new StringBuilder("ERR unknown command '").append(Resp.printable(c.text(0)))
                .append("', with args beginning with: ");
        for (int i = 1; i < c.arity() && i <= 20; i++) {
            s.append('\'').append(Resp.printable(c.text(i))).append("' ");
        }
        return Resp.error(s.toString());
    }


    private static byte[] notAnInteger() {
        return Resp.error("ERR value is not an integer or out of range");
    }

    /** Redis's integer syntax: optional minus, digits, no leading plus, spaces or leading zeros. */
    private static Long parseLong(byte[] b) {
        if (b.length == 0 || b.length > 20) {
            return null;
        }
        String s = new String(b, StandardCharsets.US_ASCII);
        if (!s.matches("-?(0|[1-9][0-9]*)") || s.equals("-0")) {
            return null;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private boolean isLive(Item it) {
        return it.expiresAt() == 0 || it.expiresAt() > now;
    }

    private Item live(byte[] key) {
        Item it = items.get(new Key(key));
        return it != null && isLive(it) ? it : null;
    }

    private long liveCount() {
        return items.values().stream().filter(this::isLive).count();
    }

    private void put(byte[] key, byte[] value, long expiresAt) {
        Key k = new Key(key.clone());
        Item old = items.put(k, new Item(value.clone(), expiresAt));
        if (old != null && old.expiresAt() != 0) {
            expiries.remove(new Due(old.expiresAt(), k));
        }
        if (expiresAt != 0) {
            expiries.add(new Due(expiresAt, k));
        }
    }

    private void remove(Key k) {
        Item old = items.remove(k);
        if (old != null && old.expiresAt() != 0) {
            expiries.remove(new Due(old.expiresAt(), k));
        }
    }

    /** Removes every key whose logical expiry time has come. */
    private void expireDue() {
        Iterator<Due> it = expiries.iterator();
        while (it.hasNext()) {
            Due d = it.next();
            if (d.at() > now) {
                return;
            }
            it.remove();
            items.remove(d.key());
        }
    }

    // ------------------------------------------------------------------ snapshots

    @Override
    public void writeSnapshot(OutputStream out) throws IOException {
        DataOutputStream d = new DataOutputStream(new java.io.BufferedOutputStream(out));
        d.writeLong(now);
        d.writeInt(items.size());
        for (Map.Entry<Key, Item> e : items.entrySet()) {
            d.writeInt(e.getKey().bytes().length);
            d.write(e.getKey().bytes());
            d.writeInt(e.getValue().value().length);
            d.write(e.getValue().value());
            d.writeLong(e.getValue().expiresAt());
        }
        d.flush();
    }

    @Override
    public void restoreSnapshot(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(new java.io.BufferedInputStream(in));
        items.clear();
        expiries.clear();
        now = d.readLong();
        int n = d.readInt();
        if (n < 0) {
            throw new IOException("negative key count " + n);
        }
        for (int i = 0; i < n; i++) {
            byte[] key = readBytes(d);
            byte[] value = readBytes(d);
            long expiresAt = d.readLong();
            put(key, value, expiresAt);
        }
        publish();
    }

    private static byte[] readBytes(DataInputStream d) throws IOException {
        int length = d.readInt();
        if (length < 0) {
            throw new IOException("negative length " + length);
        }
        byte[] b = d.readNBytes(length);
        if (b.length != length) {
            throw new IOException("snapshot ends inside a " + length + "-byte field");
        }
        return b;
    }
}
