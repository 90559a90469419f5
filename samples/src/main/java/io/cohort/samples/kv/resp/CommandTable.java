package io.cohort.samples.kv.resp;

import io.cohort.samples.kv.KeyValueStore;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every command the server answers, with what {@code COMMAND} reports about it (Redis's arity
 * convention: a negative arity means "at least", counting the name) and where it is served.
 */
final class CommandTable {

    /** Where a command is served. */
    enum Route {
        /** Changes the data: through the replicated log. */
        WRITE,
        /** Reads the data: a query at the replica the client is connected to. */
        READ,
        /** About the connection or the server: answered at once by the connection. */
        CONNECTION
    }

    /**
     * One command.
     *
     * @param name     upper-case name
     * @param arity    Redis arity (negative: at least that many)
     * @param flags    Redis flags as COMMAND lists them
     * @param firstKey position of the first key (0 if none)
     * @param lastKey  position of the last key (-1: the last argument)
     * @param step     distance between keys
     * @param route    where it is served
     */
    record Spec(String name, int arity, List<String> flags, int firstKey, int lastKey, int step, Route route) {
    }

    private static final Map<String, Spec> SPECS = new LinkedHashMap<>();

    static {
        write("SET", -3, 1, 1, 1, "write", "denyoom");
        write("GETSET", 3, 1, 1, 1, "write", "denyoom", "fast");
        write("SETNX", 3, 1, 1, 1, "write", "denyoom", "fast");
        write("DEL", -2, 1, -1, 1, "write");
        write("INCR", 2, 1, 1, 1, "write", "denyoom", "fast");
        write("INCRBY", 3, 1, 1, 1, "write", "denyoom", "fast");
        write("DECR", 2, 1, 1, 1, "write", "denyoom", "fast");
        write("DECRBY", 3, 1, 1, 1, "write", "denyoom", "fast");
        write("APPEND", 3, 1, 1, 1, "write", "denyoom", "fast");
        write("MSET", -3, 1, -1, 2, "write", "denyoom");
        write("FLUSHDB", -1, 0, 0, 0, "write");
        write("EXPIRE", -3, 1, 1, 1, "write", "fast");
        write("PEXPIRE", -3, 1, 1, 1, "write", "fast");
        write("PERSIST", 2, 1, 1, 1, "write", "fast");
        read("GET", 2, 1, 1, 1, "readonly", "fast");
        read("MGET", -2, 1, -1, 1, "readonly", "fast");
        read("EXISTS", -2, 1, -1, 1, "readonly", "fast");
        read("STRLEN", 2, 1, 1, 1, "readonly", "fast");
        read("TTL", 2, 1, 1, 1, "readonly", "fast");
        read("PTTL", 2, 1, 1, 1, "readonly", "fast");
        read("KEYS", 2, 0, 0, 0, "readonly");
        read("DBSIZE", 1, 0, 0, 0, "readonly", "fast");
        connection("PING", -1, "fast");
        connection("ECHO", 2, "fast");
        connection("SELECT", 2, "loading", "fast");
        connection("QUIT", -1, "fast");
        connection("INFO", -1, "loading");
        connection("CLIENT", -2, "loading");
        connection("COMMAND", -1, "loading");
        connection("HELLO", -1, "loading", "fast");
        connection("CONFIG", -2, "loading");
        // The two tables must agree: a write the store does not know would be logged for nothing.
        for (Spec s : SPECS.values()) {
            if (s.route() == Route.WRITE && !KeyValueStore.WRITES.contains(s.name())
                    || s.route() == Route.READ && !KeyValueStore.READ_ONLY.contains(s.name())) {
                throw new IllegalStateException("command table and store disagree on " + s.name());
            }
        }
    }

    private CommandTable() {
    }

    private static void write(String name, int arity, int first, int last, int step, String... flags) {
        SPECS.put(name, new Spec(name, arity, List.of(flags), first, last, step, Route.WRITE));
    }

    private static void read(String name, int arity, int first, int last, int step, String... flags) {
        SPECS.put(name, new Spec(name, arity, List.of(flags), first, last, step, Route.READ));
    }

    private static void connection(String name, int arity, String... flags) {
        SPECS.put(name, new Spec(name, arity, List.of(flags), 0, 0, 0, Route.CONNECTION));
    }

    /**
     * @param name an upper-case command name
     * @return its spec, or null for a command the server does not know
     */
    static Spec find(String name) {
        return SPECS.get(name);
    }

    /** @return every command, in a stable order */
    static Collection<Spec> all() {
        return SPECS.values();
    }

    /**
     * @param spec  a command
     * @param arity how many words a request has (the name included)
     * @return whether the count fits the command's arity
     */
    static boolean arityFits(Spec spec, int arity) {
        return spec.arity() >= 0 ? arity == spec.arity() : arity >= -spec.arity();
    }
}
